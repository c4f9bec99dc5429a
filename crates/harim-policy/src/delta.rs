//! Comparisons of two versions of a list or a value, shared by the shop's and the platform's
//! change lists so both state additions, removals and new values in the same order.

/// What `new` holds that `old` does not, each as `added`, then what `old` holds that `new` does
/// not, each as `removed`.
pub(crate) fn added_removed<'a, T: PartialEq, C>(
    old: &'a [T],
    new: &'a [T],
    added: impl Fn(&'a T) -> C,
    removed: impl Fn(&'a T) -> C,
) -> Vec<C> {
    let mut out: Vec<C> = new.iter().filter(|x| !old.contains(x)).map(added).collect();
    out.extend(old.iter().filter(|x| !new.contains(x)).map(removed));
    out
}

/// `make(from, to)`, when the value changed.
pub(crate) fn changed<T: PartialEq + Copy, C>(
    from: T,
    to: T,
    make: impl FnOnce(T, T) -> C,
) -> Option<C> {
    (from != to).then(|| make(from, to))
}
