/**
 * Erlang C as textbooks print it, with powers and factorials, for checking
 * src/analytics/erlangC.ts (a recursion) by an independent computation. Exact enough for the
 * small staffing of a test; it overflows past about 170 agents, which the recursion does not.
 *
 *   C(N, A) = (A^N / N! · N / (N − A)) / (Σ_{k<N} A^k / k! + A^N / N! · N / (N − A))
 *   SL      = 1 − C(N, A) · e^(−(N − A) · t / AHT)
 */
function factorial(n: number): number {
  let product = 1;
  for (let k = 2; k <= n; k++) product *= k;
  return product;
}

export function textbookProbabilityOfWaiting(agents: number, traffic: number): number {
  const top = (traffic ** agents / factorial(agents)) * (agents / (agents - traffic));
  let sum = 0;
  for (let k = 0; k < agents; k++) sum += traffic ** k / factorial(k);
  return top / (sum + top);
}

export function textbookServiceLevel(
  agents: number,
  traffic: number,
  averageHandleTimeSeconds: number,
  thresholdSeconds: number,
): number {
  return (
    1 -
    textbookProbabilityOfWaiting(agents, traffic) *
      Math.exp((-(agents - traffic) * thresholdSeconds) / averageHandleTimeSeconds)
  );
}
