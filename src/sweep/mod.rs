//! Parameter sweeps and sensitivity analysis: experimental designs over scenario keys, the
//! outcomes summarised per point, and variance-based (Sobol) and elementary-effects (Morris)
//! indices. Sits above the engine (it runs replicates) and below output (which writes files).

pub mod analysis;
pub mod calibrate;
pub mod design;
pub mod outcome;
pub mod run;
pub mod sensitivity;
pub mod spec;
pub mod targets;
