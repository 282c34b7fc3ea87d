//! Random streams: every stream is a named portable generator (Xoshiro256++) seeded from a
//! hash of (replicate key, purpose, month, item), so draws never depend on thread scheduling.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The model's generator.
pub type Rng = Xoshiro256PlusPlus;

/// Stream purposes: one per agent kind and phase.
#[allow(missing_docs)]
pub mod purpose {
    pub const INIT_AUTOMAKERS: u64 = 1;
    pub const INIT_GOVERNMENTS: u64 = 2;
    pub const INIT_CONSUMERS: u64 = 3;
    pub const INIT_EXPORTERS: u64 = 4;
    pub const AUTOMAKERS: u64 = 5;
    pub const EXPORTERS: u64 = 6;
    pub const CONSUMERS: u64 = 7;
    pub const RATIONING: u64 = 8;
    pub const WARMUP: u64 = 9;
    pub const TRADE_IN: u64 = 10;
    /// Central or local ownership of a state group (its own stream, so adding it changed no
    /// other draw).
    pub const CENTRAL_STATE: u64 = 11;
    /// Persistent valuation scores of households (initial draw and turnover).
    pub const INIT_RANK: u64 = 12;
}

/// SplitMix64 finaliser: a bijective 64-bit mix.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a key and up to three coordinates.
pub fn derive(key: u64, purpose: u64, a: u64, b: u64) -> u64 {
    mix64(mix64(mix64(key ^ mix64(purpose)) ^ a) ^ b.wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// A generator for (key, purpose, a, b).
pub fn stream(key: u64, purpose: u64, a: u64, b: u64) -> Rng {
    Rng::seed_from_u64(derive(key, purpose, a, b))
}

/// A uniform in [0, 1) that is a pure function of its inputs (counter-based draw).
pub fn hashed_uniform(key: u64, purpose: u64, a: u64, b: u64) -> f64 {
    (derive(key, purpose, a, b) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = stream(1, 2, 3, 4).random();
        let b: u64 = stream(1, 2, 3, 4).random();
        let c: u64 = stream(1, 2, 3, 5).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let u = hashed_uniform(7, 8, 9, 10);
        assert!((0.0..1.0).contains(&u));
    }

    /// Pins the generator so a change of crate version that altered streams is caught.
    #[test]
    fn stream_is_portable() {
        assert_eq!(mix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
