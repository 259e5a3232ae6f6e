import { useEffect, useState } from 'react';

/** The current time, refreshed every `everyMs` (0 = never) so "3 minutes ago" stays true. */
export function useNow(everyMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    if (everyMs <= 0) return;
    const timer = setInterval(() => {
      setNow(new Date());
    }, everyMs);
    return () => {
      clearInterval(timer);
    };
  }, [everyMs]);
  return now;
}
