"""The compiled definition (`compiled_service`): the later form's mappings as lists of keyed
items, each part's keys picked as the CLIs' compilers pick them, and the task prices kept."""

from __future__ import annotations

import json

from mesg_pusher.mesg import compiled_service

LATER = """\
name: s
sid: com.example.s
description: d
repository: https://example.com/s
extra: dropped
tasks:
  t:
    name: T
    inputs:
      batch:
        type: Object
        repeated: true
        object:
          name: {type: String, description: the name}
          data: {type: Any, optional: true}
    outputs:
      ok: {type: Boolean}
    price: {perCall: '1', perSec: '2', perKB: '3'}
    unknown: dropped
events:
  e:
    data:
      n: {type: Number}
dependencies:
  db:
    image: redis
    ports: ['6379']
configuration:
  ports: ['3000']
  env: [A=]
"""


def test_mappings_become_keyed_lists_and_prices_stay() -> None:
    assert json.loads(compiled_service(LATER)) == {
        "sid": "com.example.s",
        "name": "s",
        "description": "d",
        "configuration": {"ports": ["3000"], "env": ["A="]},
        "repository": "https://example.com/s",
        "tasks": [
            {
                "key": "t",
                "name": "T",
                "inputs": [
                    {
                        "key": "batch",
                        "type": "Object",
                        "repeated": True,
                        "object": [
                            {"key": "name", "description": "the name", "type": "String"},
                            {"key": "data", "type": "Any", "optional": True},
                        ],
                    }
                ],
                "outputs": [{"key": "ok", "type": "Boolean"}],
                "price": {"perCall": "1", "perSec": "2", "perKB": "3"},
            }
        ],
        "events": [{"key": "e", "data": [{"key": "n", "type": "Number"}]}],
        "dependencies": [{"key": "db", "image": "redis", "ports": ["6379"]}],
    }


def test_an_empty_service_has_empty_lists() -> None:
    assert json.loads(compiled_service("name: s\n")) == {
        "name": "s",
        "tasks": [],
        "events": [],
        "dependencies": [],
    }
