"""A gRPC test client (grpcio, raw-bytes messages) for the e2e tests.

Usage: client.py TARGET AUTHORITY MODE, MODE one of unary, stream, fail, deadline, cancel.
Talks h2c to TARGET with :authority AUTHORITY and prints one JSON object:
{"code": <status name>, "details": ..., "responses": [...], "trailers": {...}}.
"""

import json
import sys

import grpc

TIMEOUT_SECS = 20


def outcome(code, details, responses, trailers):
    return {
        "code": code.name,
        "details": details,
        "responses": responses,
        "trailers": {k: v for k, v in (trailers or ())},
    }


def run(channel, mode):
    if mode == "unary":
        response, call = channel.unary_unary("/test.Echo/Unary").with_call(
            b"hello", timeout=TIMEOUT_SECS
        )
        return outcome(call.code(), call.details(), [response.decode()], call.trailing_metadata())
    if mode == "stream":
        call = channel.unary_stream("/test.Echo/Stream")(b"3", timeout=TIMEOUT_SECS)
        responses = [r.decode() for r in call]
        return outcome(call.code(), call.details(), responses, call.trailing_metadata())
    if mode == "fail":
        channel.unary_unary("/test.Echo/Fail")(b"x", timeout=TIMEOUT_SECS)
    if mode == "deadline":
        channel.unary_unary("/test.Echo/SlowUnary")(b"deadline", timeout=0.5)
    if mode == "cancel":
        call = channel.unary_stream("/test.Echo/Slow")(b"cancel", timeout=TIMEOUT_SECS)
        first = next(call).decode()
        call.cancel()
        return outcome(grpc.StatusCode.CANCELLED, "cancelled by the client", [first], ())
    raise SystemExit("unknown mode " + mode)


def main():
    target, authority, mode = sys.argv[1:4]
    options = [("grpc.default_authority", authority), ("grpc.enable_retries", 0)]
    with grpc.insecure_channel(target, options=options) as channel:
        try:
            result = run(channel, mode)
        except grpc.RpcError as error:
            result = outcome(error.code(), error.details(), [], error.trailing_metadata())
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
