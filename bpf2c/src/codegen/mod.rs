//! C generation. (Being written.)
