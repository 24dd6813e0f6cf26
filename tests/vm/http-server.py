#!/usr/bin/env python3
"""A web server for the VM tests, as a site's would be (nginx with WebDAV, any
server that accepts PUT): GET serves files from ROOT, PUT stores the body under
ROOT. Listens on 127.0.0.1 (the VM reaches it as 10.0.2.2 through qemu's user
network) on a free port, written to PORTFILE once listening.
Usage: http-server.py ROOT PORTFILE"""
import http.server
import os
import sys

root, portfile = sys.argv[1], sys.argv[2]


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def do_PUT(self):
        path = os.path.normpath(os.path.join(root, self.path.lstrip("/")))
        if not path.startswith(os.path.abspath(root) + os.sep):
            self.send_error(403)
            return
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".part", "wb") as f:
            f.write(body)
        os.replace(path + ".part", path)
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(portfile + ".tmp", portfile)
server.serve_forever()
