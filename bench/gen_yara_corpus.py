#!/usr/bin/env python3
"""Writes the YARA benchmark corpus: SIZE_MB of mixed text and binary files under OUT, a few of
them with planted matches; prints the planted files (relative paths) to OUT/../planted.txt.
Deterministic for a given SEED. Used by bench/yara.sh."""
import os
import random
import sys

out, size_mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
words = ("function return echo include require array string class public private static "
         "if else foreach while html body div span script style var let const table tr td "
         "cổng thông tin điện tử tỉnh huyện xã văn bản thông báo quyết định kế hoạch "
         "request response session cookie header json xml select insert update where").split()
text_pool = " ".join(rng.choice(words) + ("\n" if rng.random() < 0.08 else "") for _ in range(400_000)).encode()
planted_snippets = [
    ("php", b"<?php if (false) { @eval($_POST['bench_probe']); } ?>\n"),
    ("php", b"<?php if (false) { system($_GET['bench_cmd']); } ?>\n"),
    ("aspx", b'<%@ Page Language="Jscript" %><% if (false) { eval(Request.Item["bench"], "unsafe"); } %>\n'),
    ("jsp", b'<% if (false) { Runtime.getRuntime().exec(request.getParameter("bench")); } %>\n'),
    ("txt", b"payload TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQ\n"),
    ("txt", b"cmd /c powershell -nop -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBi\n"),
    ("html", b'<a href="http://203.0.113.45:8080/files/update.exe">update</a>\n'),
    ("bin", b"CGH\x00BENCH\x01\x02\x03MARK"),
]
target = size_mb * 1024 * 1024
written = 0
index = 0
planted = []
text_ext = ["php", "html", "js", "css", "aspx", "jsp", "txt", "xml"]
bin_ext = ["png", "jpg", "pdf", "zip", "bin", "docx"]
while written < target:
    roll = rng.random()
    if roll < 0.85:
        size = rng.randint(1_000, 64_000)
        ext = rng.choice(text_ext)
        start = rng.randrange(0, len(text_pool) - size)
        data = bytearray(text_pool[start:start + size])
    elif roll < 0.99:
        size = rng.randint(64_000, 4_000_000)
        ext = rng.choice(bin_ext)
        data = bytearray(rng.randbytes(size))
    else:
        size = rng.randint(8_000_000, 40_000_000)
        ext = rng.choice(bin_ext)
        data = bytearray(rng.randbytes(size))
    index += 1
    rel = f"site{index % 17:02d}/d{(index // 17) % 53:02d}/f{index:06d}.{ext}"
    if index % 41 == 0:
        kind, snippet = planted_snippets[(index // 41) % len(planted_snippets)]
        at = rng.randrange(0, max(1, len(data) - len(snippet)))
        data[at:at + len(snippet)] = snippet
        planted.append(rel)
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    written += len(data)
with open(os.path.join(os.path.dirname(out.rstrip("/")), "planted.txt"), "w") as f:
    f.write("\n".join(sorted(planted)) + "\n")
print(f"{index} files, {written / 1048576:.0f} MiB, {len(planted)} planted", file=sys.stderr)
