#!/usr/bin/env python3
"""Listeners for the scanner benchmarks: `listen.py ADDR:PORT[:http] ...`.

A plain listener accepts and closes; an `http` listener answers every GET with a small page
(no security headers), so the scanner's checks and templates have something to look at.
Runs until killed.
"""
import http.server
import socket
import sys
import threading


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html><head><title>bench</title></head><body>canhgac bench</body></html>"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def plain(host, port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(1024)
    while True:
        conn, _ = server.accept()
        conn.close()


def main():
    threads = []
    for spec in sys.argv[1:]:
        parts = spec.split(":")
        host, port = parts[0], int(parts[1])
        if len(parts) > 2 and parts[2] == "http":
            server = http.server.ThreadingHTTPServer((host, port), Page)
            target = server.serve_forever
        else:
            target = lambda h=host, p=port: plain(h, p)
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        threads.append(thread)
    print("listening", flush=True)
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
