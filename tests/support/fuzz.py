"""Hypothesis strategies for any protobuf message, built from its descriptor: hostile values in every field."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

# Values a hostile or careless client sends: empty, blank, huge, NUL, controls, any script, look-alike ids.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "alice", "alice\x00", "a/b/../c", "'; DROP TABLE facts; --", "%s%s%n",
                     "6f1c2a8e-2b7d-4d8e-9a51-3c1d0e5f7a90", "not-a-uuid", "\u202e\ufeff", "🧠" * 50,
                     "EXTRACTION_STATUS_FAILED", "llm.model", "embedding.model", "x" * 5000]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=20_000),
)  # fmt: skip
HOSTILE_INT = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 1, 50, 51, 500, 1001, 2**31 - 1]))
HOSTILE_INT64 = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 1, 2**62]))
HOSTILE_FLOAT = st.floats(width=32, allow_nan=True, allow_infinity=True)

_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    FieldDescriptor.TYPE_STRING: HOSTILE_TEXT,
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=64),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_INT32: HOSTILE_INT,
    FieldDescriptor.TYPE_SINT32: HOSTILE_INT,
    FieldDescriptor.TYPE_SFIXED32: HOSTILE_INT,
    FieldDescriptor.TYPE_INT64: HOSTILE_INT64,
    FieldDescriptor.TYPE_SINT64: HOSTILE_INT64,
    FieldDescriptor.TYPE_SFIXED64: HOSTILE_INT64,
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: st.integers(0, 2**64 - 1),
    FieldDescriptor.TYPE_FLOAT: HOSTILE_FLOAT,
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=True, allow_infinity=True),
}


def messages(descriptor: Descriptor, depth: int = 3) -> st.SearchStrategy[Any]:
    """Messages of this type with any subset of fields set to hostile values (nested ones to depth)."""
    message_class = GetMessageClass(descriptor)
    fields = {field.name: _values(field, depth) for field in descriptor.fields if depth > 0 or not _nested(field)}

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        message = message_class()
        for name in draw(st.lists(st.sampled_from(sorted(fields)), unique=True)) if fields else []:
            value = draw(fields[name])
            field = descriptor.fields_by_name[name]
            if _repeated(field):
                target = getattr(message, name)
                if _nested(field):
                    for item in value:
                        target.add().CopyFrom(item)
                elif field.message_type is not None and field.message_type.GetOptions().map_entry:
                    target.update(value)
                else:
                    target.extend(value)
            elif _nested(field):
                getattr(message, name).CopyFrom(value)
            else:
                setattr(message, name, value)
        return message

    return build()


def _repeated(field: FieldDescriptor) -> bool:
    return field.label == FieldDescriptor.LABEL_REPEATED


def _nested(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and not (
        field.message_type is not None and field.message_type.GetOptions().map_entry
    )


def _values(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
        key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
        return st.dictionaries(_scalar(key), _scalar(value), max_size=4)
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        known = _well_known(field.message_type)
        single = known if known is not None else messages(field.message_type, depth - 1)
    elif field.type == FieldDescriptor.TYPE_ENUM:
        single = st.one_of(st.sampled_from([v.number for v in field.enum_type.values]), st.integers(-5, 99))
    else:
        single = _scalar(field)
    return st.lists(single, max_size=5) if _repeated(field) else single


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    return _SCALARS[field.type]


def _well_known(descriptor: Descriptor) -> st.SearchStrategy[Any] | None:
    message_class = GetMessageClass(descriptor)
    if descriptor.full_name == "google.protobuf.Timestamp":
        return st.builds(
            lambda s, n: message_class(seconds=s, nanos=n),
            st.one_of(st.integers(-(2**40), 2**40), st.sampled_from([0, -62135596800, 253402300799, 4102444800])),
            st.integers(-5, 2**30),
        )
    if descriptor.full_name == "google.protobuf.FieldMask":
        return st.builds(lambda paths: message_class(paths=paths), st.lists(HOSTILE_TEXT, max_size=5))
    return None
