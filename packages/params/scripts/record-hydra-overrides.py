"""Records how Hydra (inside DVC) reads `-S` overrides, as the fixture tvc's tests check against.

Run it with the Python of a DVC 3 install that has Hydra (DVC pulls it in):

    /path/to/dvc-venv/bin/python packages/params/scripts/record-hydra-overrides.py

It writes packages/params/src/__fixtures__/hydra-overrides.json: for each input, what Hydra's
OverridesParser made of it (or that it refused it), the sweep DVC expands it to, and, for the
`apply` cases, the params tree DVC writes after `dvc.utils.hydra.apply_overrides` (or the error).
Values are tagged so that ints and floats stay apart: `{"$int": "5"}`, `{"$float": "0.1"}`.
"""

import json
import math
import os
import sys
import tempfile

import dvc
import hydra
from dvc.utils.hydra import apply_overrides, get_hydra_sweeps, to_hydra_overrides
from hydra.core.override_parser.types import (
    ChoiceSweep,
    Glob,
    IntervalSweep,
    QuotedString,
    RangeSweep,
)

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "hydra-overrides.json")


def encode(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"$int": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, QuotedString):
        return {"$quoted": value.text, "quote": value.quote.name}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, ChoiceSweep):
        return {"$choice": [encode(item) for item in value.list], "simple": value.simple_form}
    if isinstance(value, RangeSweep):
        return {"$range": [encode(value.start), encode(value.stop), encode(value.step)]}
    if isinstance(value, IntervalSweep):
        return {"$interval": [encode(value.start), encode(value.end)]}
    if isinstance(value, Glob):
        return {"$glob": value.include, "exclude": value.exclude}
    raise TypeError(type(value).__name__)


def encode_tree(value):
    """A params tree as DVC writes it back: dict keys as strings, as tvc's trees hold them."""
    if isinstance(value, dict):
        return {"$dict": [[str(k), encode_tree(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode_tree(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    return encode(value)


def decode(value):
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if "$int" in value:
            return int(value["$int"])
        if "$float" in value:
            return float(value["$float"])
        if "$dict" in value:
            return {k: decode(v) for k, v in value["$dict"]}
        return {k: decode(v) for k, v in value.items()}
    return value


def error_of(exc):
    return {"error": type(exc).__name__, "message": str(exc).split("\n")[0]}


PARSE_CASES = [
    # keys
    "a=1", "a.b.c=1", "layers.0=5", "a.0.b=1", "a_b-c=1", "$a=1", "a.$b=1", "a/b=1", "a@b=1",
    "=1", "a", "a.=1", ".a=1", "a..b=1", "0=1", "a.01=1", "a b=1", "A=1", "_=1", "a.b-=1",
    "+a=1", "++a=1", "+++a=1", "~a", "~a=1", "~a=", "+a", "++a", "~+a", "a=1=2",
    # values: numbers
    "a=0", "a=-1", "a=+1", "a=1_000", "a=1__0", "a=01", "a=007", "a=0x10", "a=1.5", "a=1.",
    "a=.5", "a=-.5", "a=1e3", "a=1E-3", "a=1e-05", "a=1.5e+2", "a=1e", "a=1.5.3", "a=inf",
    "a=-inf", "a=+INF", "a=nan", "a=NaN", "a=infinity", "a=1_0.5", "a=1.0", "a=10000000000000000000000",
    "a=9007199254740993", "a=1e400", "a=-0.0", "a=0.1", "a=1.2_5",
    # values: booleans and null
    "a=true", "a=TRUE", "a=False", "a=tRuE", "a=true1", "a=null", "a=NULL", "a=Null", "a=none",
    "a=yes", "a=on", "a=~",
    # values: strings
    "a=abc", "a=a b", "a=a  b ", "a= abc", "a=  abc", "a=", "a= ", "a=abc ", "a=foo-bar_10",
    "a=/path/to/file.txt", "a=http://x.y/z?q=1", "a=a:b", "a=a : b", "a=$x", "a=%", "a=*", "a=@",
    "a=?", "a=|", "a=-", "a=+", "a=.", "a=\\", "a=a\\b", "a=\\\\", "a=a\\,b", "a=a\\ b",
    "a=\\(x\\)", "a=\\[\\]", "a=\\{\\}", "a=\\:", "a=\\=", "a=1\\,2", "a=ab\\", "a=${b}",
    "a=${b.c}", "a=x${b}y", "a=${oc.env:HOME}", "a='hello'", 'a="hello"', "a='a b'",
    "a='it\\'s'", 'a="say \\"hi\\""', "a='\\\\'", "a='a\\\\'", "a='a\\\\\\''", "a='a\\b'",
    "a='a,b'", "a='[1,2]'", "a='1'", "a='true'", "a=''", 'a=""', "a='unterminated",
    "a='a'b", "a='a' ", "a= 'a'", "a='${x}'", "a=\"a'b\"", "a='a\"b'", "a=é", "a=日本",
    "a=a#b", "a=a!b", "a=a&b", "a=a;b", "a=a^b", "a=a<b", "a=`x`", "a=a\tb", "a=tab\\\tx",
    "a=a=b", "a=a\\=b",
    # lists and dicts
    "a=[]", "a=[1]", "a=[1,2,3]", "a=[1, 2, 3]", "a=[ 1 , 2 ]", "a=[a,b]", "a=[[1,2],[3]]",
    "a=[1,[2,[3]]]", "a=[1", "a=[1,]", "a=[,1]", "a=1]", "a=[a b, c]", "a=['a,b', \"c\"]",
    "a=[null,true,1.5]", "a={}", "a={b:1}", "a={b: 1, c: [1,2]}", "a={ b : 1 }", "a={b:{c:{d:1}}}",
    "a={1:a}", "a={true:1}", "a={null:1}", "a={1.5:x}", "a={a b:1}", "a={'b':1}", "a={b:1,b:2}",
    "a={b}", "a={b:}", "a={:1}", "a={b:c:d}", "a={b:1", "a={b:[1,{c:2}]}", "a=[{b:1},{c:2}]",
    "a={b-c:1}", "a={b.c:1}", "a={$b:1}", "a={b\\,c:1}",
    # sweeps
    "a=1,2,3", "a=1, 2", "a=a,b", "a=1,", "a=,1", "a=[1,2],[3]", "a={b:1},{b:2}", "a='x','y'",
    "a=1,2,1", "a=null,1", "+a=1,2", "~a=1,2", "a=choice(1,2,3)", "a=choice(1)", "a=choice()",
    "a=choice(a,b)", "a=choice([1,2],[3])", "a=choice('a', \"b\")", "a=choice(null)",
    "a=choice(1,2),3", "a=choice(choice(1,2))", "a=choice(1,choice(2,3))", "a = choice(1,2)",
    "a=choice (1,2)", "a=choice( 1 , 2 )", "a=range(3)", "a=range(1,4)", "a=range(0,10,3)",
    "a=range(5,0,-1)", "a=range(0,1,0.1)", "a=range(0,1,0.25)", "a=range(0.5,3)", "a=range(1,1)",
    "a=range(0,3,0)", "a=range(0,1,0.0)", "a=range(1.5)", "a=range(-1)", "a=range(a)",
    "a=range(1,2,3,4)", "a=range(start=1,stop=3)", "a=range(stop=3)", "a=range(1,stop=4,step=2)",
    "a=range(step=2,1)", "a=range(true,3)", "a=range(0,0.3,0.1)", "a=range(0,1e-3,1e-4)",
    "a=range(10,0,-2.5)", "a=interval(0,1)", "a=interval(0.1,1.5)", "a=glob(*)",
    "a=glob([a*,b*],exclude=c*)", "a=tag(t1,choice(1,2))", "a=tag(choice(1,2))",
    "a=tag(t1,range(2))", "a=sort(3,1,2)", "a=sort(3,1,2,reverse=true)", "a=sort([3,1,2])",
    "a=sort(choice(b,a))", "a=sort(range(3,0,-1))", "a=sort(range(0,3),reverse=true)",
    "a=sort(1)", "a=shuffle([1])", "a=unknown(1)", "a=choice", "a=choice(", "a=range",
    # casts
    "a=int(1.5)", "a=int('5')", "a=int(\"1_000\")", "a=int(' 7 ')", "a=int(true)", "a=int(a)",
    "a=int(null)", "a=int([1.5,'2'])", "a=int({b:1.9})", "a=int(1,2)", "a=int(value=3.2)",
    "a=float(1)", "a=float('1e-3')", "a=float('inf')", "a=float(' 2 ')", "a=float(x)",
    "a=float(true)", "a=str(1)", "a=str(1.5)", "a=str(true)", "a=str(null)", "a=str([1,true])",
    "a=str({b:1})", "a=str(1e16)", "a=str(1,2)", "a=bool(1)", "a=bool(0)", "a=bool('True')",
    "a=bool(yes)", "a=bool(0.0)", "a=bool(abc)", "a=int(range(1,3))", "a=float(range(1,3))",
    "a=str(range(1,3))", "a=int(choice(1.5,2.5))", "a=str(choice(1,2))", "a=int(interval(1,2))",
    "a=str(interval(1,2))", "a=int(float(1.5))",
]

SWEEP_CASES = [
    {"params.yaml": ["a=1,2", "b=x,y"]},
    {"params.yaml": ["a=1,2"], "other.yaml": ["c=3,4"]},
    {"params.yaml": ["a=1", "b=choice(1,2)", "c=range(2)"]},
    {"params.yaml": ["a=1,2", "a=3,4"]},
    {"params.yaml": ["a=1,2", "+a=3", "++a=4,5"]},
    {"params.yaml": ["~a", "b=1,2"]},
    {"params.yaml": ["~a=1,2"]},
    {"params.yaml": ["a=range(0,1,0.1)"]},
    {"params.yaml": ["a=range(0,1,0.25)"]},
    {"params.yaml": ["a=range(0,0.3,0.1)"]},
    {"params.yaml": ["a=range(0,1e-3,1e-4)"]},
    {"params.yaml": ["a=range(10,0,-2.5)"]},
    {"params.yaml": ["a=range(1.5)"]},
    {"params.yaml": ["a=range(5,0,-2)"]},
    {"params.yaml": ["a=range(0,3,0)"]},
    {"params.yaml": ["a=range(0,1,0.0)"]},
    {"params.yaml": ["a='x y','1',true", "b=[1,2],{c:1}"]},
    {"params.yaml": ["a=x y,a\\,b", "b=${c},'${c}'"]},
    {"params.yaml": ["a=str(5),str(true)", "b=str(1.5)"]},
    {"params.yaml": ["a=1e-05,inf,-inf,nan,1e16,1.0"]},
    {"params.yaml": ["a=glob(*)"]},
    {"params.yaml": ["a=interval(0,1)"]},
    {"params.yaml": ["a=tag(t,choice(1,2))", "b=sort(3,1,2)"]},
    {"params.yaml": ["a='it\\'s',\"q\\\"\""]},
    {"params.yaml": ["a={b:'x,y'},[\"c d\"]"]},
    {"params.yaml": ["a=", "b=1,2"]},
    {"params.yaml": ["a=choice(1,choice(2,3))"]},
    {"params.yaml": ["a=1,2", "b=int('3')"]},
]

TREE = {
    "lr": 0.1,
    "seed": 1,
    "name": "run",
    "flag": True,
    "none": None,
    "one": 1.0,
    "train": {"epochs": 5, "layers": [8, 16, 32], "opt": {"name": "adam", "beta": 0.9}},
    "items": [{"x": 1}, {"y": 2}],
    "empty": {},
}

APPLY_CASES = [
    ["lr=0.2"], ["lr=1"], ["lr=1.0"], ["lr=abc"], ["lr=null"], ["lr=[1,2]"], ["lr={a:1}"],
    ["seed=1e-3"], ["name='1'"], ["name=True"], ["nope=1"], ["+nope=1"], ["++nope=1"],
    ["+lr=1"], ["++lr=1"], ["+none=1"], ["none=1"], ["~lr"], ["~lr=0.1"], ["~lr=0.2"],
    ["~seed=1.0"], ["~flag=1"], ["~none"], ["~nope"], ["~train.opt"], ["~train.opt.beta"],
    ["~train.layers.0"], ["train.epochs=10"], ["train.layers.0=5"], ["train.layers.3=5"],
    ["+train.layers.3=5"], ["train.layers=[1]"], ["train.layers=[1,2,3,4]"],
    ["train.layers={a:1}"], ["train.opt={name:sgd}"], ["train.opt={momentum:0.9}"],
    ["+train.opt={momentum:0.9}"], ["++train.opt={momentum:0.9}"], ["train.opt=x"],
    ["train={epochs:1}"], ["+train.new.deep=1"], ["train.new.deep=1"], ["lr.x=1"], ["+lr.x=1"],
    ["++lr.x=1"], ["none.x=1"], ["+none.x=1"], ["items.0.x=5"], ["items.1={z:3}"],
    ["+items.1.z=3"], ["items.0=7"], ["items.x=1"], ["+empty.a=1"], ["empty.a=1"],
    ["empty={a:1}"], ["++empty={a:1}"], ["one=2"], ["one=2.0"], ["lr=1", "lr=2"],
    ["+x=1", "x=2"], ["~lr", "+lr=3"], ["++a.b.c=[1,{d:2}]"], ["a@b=1"], ["+train=5"],
    ["train=5"], ["++train.epochs={a:1}"], ["lr=${seed}"], ["lr='${seed}'"], ["+z=${train.epochs}"],
    ["name=${name}x"], ["lr=inf"], ["lr=nan"], ["lr=-0.0"], ["lr=10000000000000000000000"],
    ["+d={1:a,true:b}"], ["train.layers.x=1"], ["train.layers.-1=1"], ["~train.layers"],
    ["~train"], ["train.epochs=choice(1,2)"], ["=1"], ["+=1"],
]


def parse_case(text):
    try:
        [override] = to_hydra_overrides([text])
    except Exception as exc:  # noqa: BLE001
        return {"input": text, **error_of(exc)}
    result = {
        "input": text,
        "type": override.type.name,
        "key": override.key_or_group,
        "package": override.package,
        "valueType": override.value_type.name if override.value_type else None,
        "value": encode(override._value),
        "sweep": override.is_sweep_override(),
    }
    try:
        if override.is_sweep_override():
            result["expanded"] = list(override.sweep_string_iterator())
        else:
            result["asString"] = override.get_value_element_as_str()
    except Exception as exc:  # noqa: BLE001
        result["expandError"] = error_of(exc)
    return result


def sweep_case(path_overrides):
    try:
        return {"input": path_overrides, "runs": get_hydra_sweeps(path_overrides)}
    except Exception as exc:  # noqa: BLE001
        return {"input": path_overrides, **error_of(exc)}


def apply_case(overrides):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "params.json")
        with open(path, "w") as fd:
            json.dump(TREE, fd)
        try:
            apply_overrides(path, overrides)
        except Exception as exc:  # noqa: BLE001
            cause = exc.__cause__
            return {
                "input": overrides,
                **error_of(exc),
                "cause": type(cause).__name__ if cause else None,
                "causeMessage": str(cause).split("\n")[0] if cause else None,
            }
        with open(path) as fd:
            return {"input": overrides, "tree": encode_tree(json.load(fd))}


def main():
    fixture = {
        "recordedWith": {
            "dvc": dvc.__version__,
            "hydra": hydra.__version__,
            "python": sys.version.split()[0],
        },
        "tree": encode_tree(TREE),
        "parse": [parse_case(text) for text in PARSE_CASES],
        "sweeps": [sweep_case(case) for case in SWEEP_CASES],
        "apply": [apply_case(case) for case in APPLY_CASES],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as fd:
        json.dump(fixture, fd, indent=1, ensure_ascii=False)
        fd.write("\n")
    print(f"wrote {len(fixture['parse'])} parse, {len(fixture['sweeps'])} sweep, "
          f"{len(fixture['apply'])} apply cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
