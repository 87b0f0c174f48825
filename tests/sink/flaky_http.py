#!/usr/bin/env python3
"""flaky_http.py - an NDJSON receiver for the forwarder tests that misbehaves on purpose.

Listens on 127.0.0.1, on a port the OS picks (bind to port 0; --port P reuses a
port picked before, so a restarted server is the same sink URL), and writes that
port to --port-file (and stdout) once it accepts connections. Every POST is
answered at random, with the probabilities given:

  --fail P    500 or 503 (body "try again")
  --stall P   no answer for --stall-s seconds (longer than sluice's --sink-timeout),
              then the connection is closed without a response
  --drop P    the connection is closed at once without a response (half of the
              time with a TCP reset)
  otherwise   the batch is accepted: 200

--reject-all answers every request 503; --accept-batches K accepts the first K
batches (counting only accepted ones) and then answers 503 to everything.
--delay-ms D waits D ms before answering each request.

Only accepted batches are recorded, in the order they were accepted, to --out:
  #batch shard=S segno=N line=L lines=K gzip=0|1   (from X-Sluice-Batch)
  <the event lines of the batch, as received (gunzipped)>
and a summary of every request to --log (one line each: result and header).
The recording is done before the 200 is sent, so a batch that is recorded but
whose answer is lost counts as delivered here; the client resends it (a
duplicate, which at-least-once allows).

Stops on SIGTERM or SIGINT.
"""
import argparse
import gzip
import http.server
import os
import random
import signal
import socket
import struct
import sys
import threading
import time


class State:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.lock = threading.Lock()
        self.accepted = 0
        self.out = open(a.out, "ab")
        self.log = open(a.log, "a") if a.log else None

    def choose(self):
        with self.lock:
            if self.a.reject_all:
                return "fail"
            if self.a.accept_batches is not None and self.accepted >= self.a.accept_batches:
                return "fail"
            r = self.rng.random()
            for mode, p in (("fail", self.a.fail), ("stall", self.a.stall), ("drop", self.a.drop)):
                if r < p:
                    return mode
                r -= p
            return "ok"

    def note(self, text):
        if self.log:
            with self.lock:
                self.log.write(text + "\n")
                self.log.flush()


def make_handler(st):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def reset(self):
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            except OSError:
                pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n) if n else b""
            batch = self.headers.get("X-Sluice-Batch", "")
            gz = self.headers.get("Content-Encoding", "") == "gzip"
            ctype = self.headers.get("Content-Type", "")
            if st.a.delay_ms:
                time.sleep(st.a.delay_ms / 1000.0)
            mode = st.choose()
            if mode == "ok" and ctype != "application/x-ndjson":
                mode = "fail"
            if mode == "fail":
                st.note(f"fail {batch}")
                code = 500 if st.rng.random() < 0.5 else 503
                msg = b"try again\n"
                self.send_response(code)
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
            if mode == "stall":
                st.note(f"stall {batch}")
                time.sleep(st.a.stall_s)
                self.close_connection = True
                return
            if mode == "drop":
                st.note(f"drop {batch}")
                if st.rng.random() < 0.5:
                    self.reset()
                self.close_connection = True
                return
            try:
                data = gzip.decompress(body) if gz else body
            except OSError:
                data = None
            if data is None or (data and not data.endswith(b"\n")):
                st.note(f"bad-body {batch}")
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with st.lock:
                st.out.write(f"#batch {batch} gzip={int(gz)}\n".encode() + data)
                st.out.flush()
                st.accepted += 1
            st.note(f"ok {batch}")
            msg = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0,
                    help="0 (default): the OS picks; else reuse a port picked before")
    ap.add_argument("--out", required=True)
    ap.add_argument("--log")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fail", type=float, default=0.0)
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--stall-s", type=float, default=2.0)
    ap.add_argument("--drop", type=float, default=0.0)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--reject-all", action="store_true")
    ap.add_argument("--accept-batches", type=int)
    a = ap.parse_args()
    st = State(a)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(st))
    srv.daemon_threads = True
    port = srv.server_address[1]

    def stop(sig, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(a.port_file + ".tmp", a.port_file)
    print(port, flush=True)
    srv.serve_forever(poll_interval=0.1)
    st.out.close()


if __name__ == "__main__":
    sys.exit(main())
