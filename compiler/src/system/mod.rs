//! From an evaluated configuration to the files a host needs: the system
//! tree (`build`), the users/groups updater shared with activation
//! (`users`), and the tree writer (`tree`).

pub mod build;
pub mod names;
pub mod tree;
pub mod users;
