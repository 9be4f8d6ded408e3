//! The Dev Container Feature in a container (below).
