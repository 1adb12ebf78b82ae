pub mod changes;
pub mod coverage;
pub mod health;
pub mod networks;
pub mod regions;
pub mod search;
pub mod vocabularies;
pub mod widget;
