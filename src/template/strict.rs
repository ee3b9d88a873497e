//! Filters of MiniJinja's that take an undefined value without a word (`join` renders it as
//! "", `tojson` as `null`, `format` as "", `escape` as "", `pprint` as `undefined`), wrapped so
//! that strict undefined holds for them too: a user who lacks the value gets an invalid row,
//! never an empty string that `--empty-is-delete` would turn into a deletion.

use minijinja::value::{Kwargs, Rest, StringInput, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, filters};

/// Replaces the lenient built-ins by their strict versions.
pub(super) fn install(env: &mut Environment) {
    env.add_filter("join", join);
    env.add_filter("tojson", tojson);
    env.add_filter("escape", escape);
    env.add_filter("e", escape);
    env.add_filter("pprint", pprint);
    env.add_filter("format", format);
}

/// An undefined value anywhere in `v` (a list or map that holds one included) is an error.
fn defined(v: &Value) -> Result<(), Error> {
    if v.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            for item in v.try_iter()? {
                defined(&item)?;
            }
        }
        ValueKind::Map => {
            for key in v.try_iter()? {
                defined(&v.get_item(&key)?)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn join(state: &State, value: &Value, joiner: Option<StringInput<'_>>) -> Result<Value, Error> {
    defined(value)?;
    filters::join(state, value, joiner)
}

fn tojson(value: &Value, indent: Option<Value>, args: Kwargs) -> Result<Value, Error> {
    defined(value)?;
    filters::tojson(value, indent, args)
}

fn escape(state: &State, value: &Value) -> Result<Value, Error> {
    defined(value)?;
    filters::escape(state, value)
}

fn pprint(value: &Value) -> Result<String, Error> {
    defined(value)?;
    Ok(filters::pprint(value))
}

fn format(state: &State, format_str: &Value, args: Rest<Value>) -> Result<Value, Error> {
    for arg in args.iter() {
        defined(arg)?;
    }
    filters::format(state, format_str, args)
}
