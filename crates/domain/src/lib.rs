//! The onconet domain: what a network profile is and which rules it obeys.
//!
//! Everything here is pure: no I/O, no HTTP, no SQL. Values are built through parse
//! constructors ([`NetworkProfile::parse`], [`Email::parse`], …) so that code holding a domain
//! value never has to re-check it (STYLE habit 9).

pub mod changes;
pub mod error;
pub mod events;
pub mod lang;
pub mod network;
pub mod proposal;
pub mod quality;
pub mod toolbox;
pub mod usage;
pub mod verification;
pub mod vocabulary;
pub mod workflow;

pub use error::{FieldError, FieldErrors};
pub use lang::Lang;
pub use network::programme;
pub use network::*;
pub use vocabulary::{Vocabularies, Vocabulary, VocabularyEntry, VocabularyKind};
pub use workflow::{Actor, Role, TransitionError};
