"""Reads params.yaml without third-party packages (the demo's YAML is two levels of `key: value`)."""


def load(path="params.yaml"):
    params, section = {}, None
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split("#", 1)[0].rstrip()
            if not line.strip():
                continue
            key, _, value = line.strip().partition(":")
            if not line.startswith(" "):
                section = params.setdefault(key, {})
                continue
            value = value.strip()
            try:
                section[key] = int(value)
            except ValueError:
                try:
                    section[key] = float(value)
                except ValueError:
                    section[key] = value
    return params
