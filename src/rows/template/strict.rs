//! Filters of MiniJinja's that take an undefined value without a word (`join` renders it as
//! "", `tojson` as `null`, `format` as "", `escape` as "", `pprint` as `undefined`, `chain`,
//! `zip` and `groupby` as empty), wrapped so that strict undefined holds for them too: a user
//! who lacks the value gets an invalid row, never an empty string that `--empty-is-delete`
//! would turn into a deletion. And the formatter: `none` is no value to write (an error, not
//! the text "none"), and booleans are written as Cognito writes them, `true` and `false`.

use minijinja::value::{Kwargs, Rest, StringInput, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Output, State, filters};

/// Replaces the lenient built-ins by their strict versions.
pub(super) fn install(env: &mut Environment) {
    env.add_filter("join", join);
    env.add_filter("tojson", tojson);
    env.add_filter("escape", escape);
    env.add_filter("e", escape);
    env.add_filter("pprint", pprint);
    env.add_filter("format", format);
    env.add_filter("chain", chain);
    env.add_filter("zip", zip);
    env.add_filter("groupby", groupby);
    env.set_formatter(formatter);
}

/// Writes a rendered value: `none` (a JSON null in the input, `default(none)`) is refused,
/// booleans are `true`/`false`; everything else as MiniJinja writes it.
fn formatter(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    match value.kind() {
        ValueKind::None => Err(Error::new(
            ErrorKind::InvalidOperation,
            "none is not a value to write (a null in the input?): use default('...')",
        )),
        ValueKind::Bool => {
            let text = if value.is_true() { "true" } else { "false" };
            out.write_str(text).map_err(Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
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

fn chain(state: &State, value: Value, others: Rest<Value>) -> Result<Value, Error> {
    defined(&value)?;
    for other in others.iter() {
        defined(other)?;
    }
    filters::chain(state, value, others)
}

fn zip(state: &State, value: Value, others: Rest<Value>) -> Result<Value, Error> {
    defined(&value)?;
    for other in others.iter() {
        defined(other)?;
    }
    filters::zip(state, value, others)
}

fn groupby(value: Value, attribute: Option<&str>, kwargs: Kwargs) -> Result<Value, Error> {
    defined(&value)?;
    filters::groupby(value, attribute, kwargs)
}
