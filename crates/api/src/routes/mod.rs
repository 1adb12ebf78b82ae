pub mod health;
pub mod networks;
pub mod vocabularies;
