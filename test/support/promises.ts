/** What `promise` rejects with; fails the test if it resolves instead. */
export function rejectionOf<E = unknown>(promise: Promise<unknown>): Promise<E> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: E) => error,
  );
}
