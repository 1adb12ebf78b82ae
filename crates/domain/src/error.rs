//! Field-level validation errors, addressed by JSON path.

use std::fmt;

/// One invalid input field.
///
/// `path` is a list of object keys and array indices from the document root, so that the
/// HTTP layer can render it as an RFC 6901 JSON pointer (`/contacts/0/email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: Vec<PathSegment>,
    /// A stable machine-readable code (`required`, `unknown_code`, `too_long`, …).
    pub code: &'static str,
    /// A human-readable explanation in English.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

impl FieldError {
    pub fn new(path: &[PathSegment], code: &'static str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_vec(),
            code,
            message: message.into(),
        }
    }

    /// The RFC 6901 JSON pointer of the field (`""` for the whole document).
    pub fn pointer(&self) -> String {
        pointer(&self.path)
    }
}

/// Renders a path as an RFC 6901 JSON pointer.
pub fn pointer(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in path {
        out.push('/');
        match segment {
            PathSegment::Key(key) => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            PathSegment::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// A collector of [`FieldError`]s that tracks the current position in the document.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
    at: Vec<PathSegment>,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` with `key` appended to the current path.
    pub fn in_key<T>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        self.at.push(PathSegment::Key(key.to_owned()));
        let out = f(self);
        self.at.pop();
        out
    }

    /// Runs `f` with `index` appended to the current path.
    pub fn in_index<T>(&mut self, index: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        self.at.push(PathSegment::Index(index));
        let out = f(self);
        self.at.pop();
        out
    }

    /// Records an error at the current path.
    pub fn add(&mut self, code: &'static str, message: impl Into<String>) {
        let error = FieldError::new(&self.at, code, message);
        self.errors.push(error);
    }

    /// Records an error at `key` below the current path.
    pub fn add_at(&mut self, key: &str, code: &'static str, message: impl Into<String>) {
        self.in_key(key, |e| e.add(code, message));
    }

    /// Keeps the value of `result`, or records its error at `key` and returns `None`.
    pub fn check<T>(&mut self, key: &str, result: Result<T, InvalidValue>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add_at(key, e.code, e.message);
                None
            }
        }
    }

    /// Keeps the value of `result`, or records its error at the current path.
    pub fn check_here<T>(&mut self, result: Result<T, InvalidValue>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(e.code, e.message);
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.errors
    }

    /// `Ok(value)` when no error was recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value())
        } else {
            Err(self.errors)
        }
    }
}

/// Why a single value was refused by its parse constructor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue {
    pub code: &'static str,
    pub message: String,
}

impl InvalidValue {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InvalidValue {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_index() {
        let mut errors = FieldErrors::new();
        errors.in_key("contacts", |e| {
            e.in_index(2, |e| e.add_at("a/b~c", "x", "bad"));
        });
        let errors = errors.into_vec();
        assert_eq!(errors[0].pointer(), "/contacts/2/a~1b~0c");
    }
}
