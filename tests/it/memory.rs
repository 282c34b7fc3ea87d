use std::mem::size_of;

use zeromile::model::consumer::Consumers;
use zeromile::output::QuantileSketch;
use zeromile::scenario::ConsumerParams;

/// Heap bytes of a vector's buffer.
fn heap<T>(v: &Vec<T>) -> usize {
    v.capacity() * size_of::<T>()
}

#[test]
fn consumer_state_is_20_bytes_per_agent() {
    let n = 10_000;
    let params = ConsumerParams { agents: n, ..Default::default() };
    let c = Consumers::new(&params, &[0.5, 0.3, 0.2], 7);
    // Exhaustive on purpose: a new per-agent field must be counted here (and in
    // docs/performance.md) before this compiles again.
    let Consumers { valuation, rank, expectation, age, waited, flags, region, class, attention, choice } = &c;
    let bytes = heap(valuation)
        + heap(rank)
        + heap(expectation)
        + heap(age)
        + heap(waited)
        + heap(flags)
        + heap(region)
        + heap(class)
        + heap(attention)
        + heap(choice);
    assert_eq!(bytes, 20 * n, "per-agent state changed: update docs/performance.md");
    assert!(bytes <= 32 * n, "issue 6 target: at most 32 bytes per consumer");
}

#[test]
fn a_sketch_takes_the_same_memory_after_one_value_as_after_a_million() {
    let mut s = QuantileSketch::new();
    s.add(0.0);
    let first = s.heap_bytes();
    for i in 1..1_000_000u32 {
        s.add(f64::from(i % 9973) * 0.5);
    }
    assert!(s.heap_bytes() <= first + 64 * 16, "{} vs {first}", s.heap_bytes());
    assert!(s.retained() <= zeromile::output::K);
}
