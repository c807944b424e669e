"""A gRPC test backend (grpcio, generic handlers: messages are raw bytes, no protoc).

Service test.Echo:
  Unary      (unary-unary)   answers b"echo:" + request, trailing metadata x-trailer: unary
                             and x-peer: the caller's address (one per connection)
  Stream     (unary-stream)  answers int(request) messages b"msg-<i>", x-trailer: stream
  Fail       (unary-unary)   aborts FAILED_PRECONDITION with a non-ASCII message
  Slow       (unary-stream)  sends b"first", then waits until the call ends
  SlowUnary  (unary-unary)   waits until the call ends (deadline)

Prints JSON lines on stdout: {"event": "listening", "port": N} once bound, and
{"event": "ended", "name": <request>} when a Slow/SlowUnary call ends (cancelled or past its
deadline). Usage: echo_server.py [CERT_FILE KEY_FILE] (TLS when given). Binds 127.0.0.1:0.
"""

import json
import sys
import threading
from concurrent import futures

import grpc

PATIENCE_SECS = 60


def emit(**event):
    print(json.dumps(event), flush=True)


def unary(request, context):
    context.set_trailing_metadata((("x-trailer", "unary"), ("x-peer", context.peer())))
    return b"echo:" + request


def stream(request, context):
    for i in range(int(request or b"3")):
        yield ("msg-%d" % i).encode()
    context.set_trailing_metadata((("x-trailer", "stream"),))


def fail(request, context):
    context.abort(grpc.StatusCode.FAILED_PRECONDITION, "precondition failed: caf\u00e9")


def wait_for_end(request, context):
    """An event set when the call ends; the end is reported from grpcio's termination callback,
    which runs even when grpcio stops pulling a cancelled stream's generator before it resumes."""
    ended = threading.Event()

    def on_end():
        emit(event="ended", name=request.decode())
        ended.set()

    context.add_callback(on_end)
    return ended


def slow(request, context):
    ended = wait_for_end(request, context)
    yield b"first"
    ended.wait(PATIENCE_SECS)


def slow_unary(request, context):
    wait_for_end(request, context).wait(PATIENCE_SECS)
    return b"late"


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
        "Slow": grpc.unary_stream_rpc_method_handler(slow),
        "SlowUnary": grpc.unary_unary_rpc_method_handler(slow_unary),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    if len(sys.argv) == 3:
        with open(sys.argv[1], "rb") as cert, open(sys.argv[2], "rb") as key:
            credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
        port = server.add_secure_port("127.0.0.1:0", credentials)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    emit(event="listening", port=port)
    # Ends when the test closes stdin (or kills the process).
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
