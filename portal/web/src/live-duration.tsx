import { useEffect, useState } from 'preact/hooks';
import { formatDuration } from './format';

/** The duration of a call still being recorded, counting up each second (seed 000 §1.16). */
export function LiveDuration({ start }: { start: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, []);
  return <span class="live-duration">{formatDuration(Math.max(0, now - Date.parse(start)))}</span>;
}
