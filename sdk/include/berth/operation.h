/* Berth plugin ABI: asynchronous operations.
 *
 * Every hook that may be slow (all isolator, launcher and estimator hooks) receives an
 * operation handle and returns at once. The plugin finishes the operation by calling
 * berth_host.complete() exactly once, from any thread, possibly before the hook returns.
 *
 * The host gives each operation a deadline and may cancel it (on timeout, or when the
 * container is being destroyed). Long work should poll berth_host.is_cancelled() and
 * finish early. A completion that arrives after the host gave up, or a second completion,
 * is dropped and logged; it is never undefined behaviour, because the handle is a
 * number the host looks up, not a pointer it trusts. */
#ifndef BERTH_OPERATION_H
#define BERTH_OPERATION_H

/* Opaque handle of one operation. Never dereference it; compare only for equality. It is
 * valid to pass to host functions until the operation is completed. */
typedef struct berth_op berth_op;

#endif /* BERTH_OPERATION_H */
