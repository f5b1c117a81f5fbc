#!/usr/bin/env python3
"""Reads open ports from `nmap -oG -` (argument `nmap`), from `canhgac scan`'s table
(argument `canhgac`) or from `host:port` lines (argument `pairs`, the discover example) on stdin and prints them as `host:port,port host:port` sorted, so the
benchmark can compare the two scanners' findings."""
import re
import sys

found = {}
if sys.argv[1] == "nmap":
    for line in sys.stdin:
        match = re.match(r"Host: (\S+) .*Ports: (.*)", line)
        if match:
            for entry in match.group(2).split(","):
                port, state = entry.strip().split("/")[:2]
                if state == "open":
                    found.setdefault(match.group(1), set()).add(int(port))
elif sys.argv[1] == "pairs":
    for line in sys.stdin:
        host, _, port = line.strip().rpartition(":")
        if port.isdigit():
            found.setdefault(host, set()).add(int(port))
else:
    for line in sys.stdin:
        match = re.match(r"\s+(\S+)\s+(\d+)/tcp", line)
        if match:
            found.setdefault(match.group(1), set()).add(int(match.group(2)))
print(" ".join(f"{h}:{','.join(map(str, sorted(p)))}" for h, p in sorted(found.items())))
