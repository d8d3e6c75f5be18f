// A time-series line chart (uPlot on a canvas) with a table of the same numbers for screen readers.

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
}

interface Props {
  title: string;
  days: string[]; // "YYYY-MM-DD", one per point
  series: ChartSeries[];
  format?: (value: number) => string;
  /** The y axis' top when every value is zero or missing (10 for counts, 1 for money, ...). */
  emptyMax?: number;
  /** A fixed top for the y axis (100 for percentages). */
  fixedMax?: number;
}

const HEIGHT = 220;

function toSeconds(day: string): number {
  const [year, month, date] = day.split("-").map(Number);
  return Date.UTC(year, month - 1, date) / 1000;
}

export function LineChart({
  title,
  days,
  series,
  format = (v) => String(Math.round(v * 100) / 100),
  emptyMax = 10,
  fixedMax,
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  // Points with any non-zero value: what was really measured, as opposed to the zero-filled days.
  const measured = days.filter((_, i) => series.some((s) => (s.values[i] ?? 0) !== 0)).length;

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: HEIGHT,
        // Days are calendar days in the company's time zone: show them as dates, never shifted.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
        scales: {
          x: { time: true },
          y: { range: (_u, min, max) => [Math.min(0, min), fixedMax ?? (max > 0 ? max * 1.1 : emptyMax)] },
        },
        axes: [{}, { values: (_u, ticks) => ticks.map((tick) => format(tick)), size: 60 }],
        legend: { live: true },
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            points: { show: true, size: 6, fill: s.color },
            value: (_u: uPlot, v: number | null) => (v === null ? "—" : format(v)),
          })),
        ],
      },
      [days.map(toSeconds), ...series.map((s) => s.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days, series, emptyMax, fixedMax]);

  return (
    <figure class="chart" data-points={days.length} data-measured-points={measured}>
      <figcaption>{title}</figcaption>
      <div ref={host} class="chart-canvas" role="img" aria-label={`${title}: a chart of ${days.length} days; the table below has the numbers.`} />
      <details>
        <summary>Show as table</summary>
        <table class="table compact">
          <thead>
            <tr>
              <th scope="col">Day</th>
              {series.map((s) => (
                <th scope="col">{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((day, i) => (
              <tr>
                <th scope="row">{day}</th>
                {series.map((s) => (
                  <td>{s.values[i] === null ? "—" : format(s.values[i] as number)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
