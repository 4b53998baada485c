"""Property-based fuzzing of the pure core and the task runner, with Hypothesis.

Arbitrary JSON inputs (every input key with values of every type, hostile strings: CR/LF, NUL,
lone surrogates, bidi controls, secrets and their encodings in other inputs, 15 MB strings) and
hostile server answers through `MockTransport` (every status, bodies echoing the secret in every
encoding at every offset around the message's cut). What must hold, whatever comes in: exactly
one output, valid against mesg.yml; no exception escapes and no defect is reported; an error
names an input or is in the engine's words; nothing is sent for invalid input; no run of a
secret in any output or log line in any encoding (judged by `tests.support.secret_oracle`, not
by the code under test).

The default run is bounded (the folder takes well under a minute). A longer run:

    MESG_PUSHER_FUZZ=long .venv/bin/pytest tests/fuzz        # about 10x the examples
    MESG_PUSHER_FUZZ=long HYPOTHESIS_SEED=1234 .venv/bin/pytest tests/fuzz

Failures print the example and a reproduction blob (``@reproduce_failure``).
"""
