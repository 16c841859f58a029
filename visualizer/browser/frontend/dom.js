// The player's DOM: every element index.html declares, looked up once.
const $ = (id) => document.getElementById(id);

export const el = {
  app: $("app"), toolbar: $("toolbar"), play: $("btn-play"), restart: $("btn-restart"),
  back: $("btn-back"), fwd: $("btn-fwd"), scrub: $("scrub"), counter: $("counter"),
  speed: $("speed"), b2d: $("btn-2d"), b3d: $("btn-3d"), start: $("btn-start"),
  copy: $("btn-copy"), status: $("status"), panels: $("panels"), main: $("main"),
  surf2d: $("surf2d"), plot2d: $("plot2d"), readout: $("readout"), paths2d: $("paths2d"),
  picker: $("picker"), plot3d: $("plot3d"), paths3d: $("paths3d"), empty: $("empty"),
  side: $("side"), legend: $("legend"), legendRuns: $("legend-runs"), legendMarks: $("legend-marks"),
  charts: $("charts"), plotside: $("plotside"), cursor: $("cursor"),
  btnInside: $("btn-inside"), inside: $("inside"), insideHead: $("inside-head"), insideKey: $("inside-key"),
  insideRule: $("inside-rule"), insideNote: $("inside-note"),
  explore: $("explore"), exploreTitle: $("explore-title"), exploreModes: $("explore-modes"), exploreKey: $("explore-key"),
  exploreBox: $("explore-box"), exploreCells: $("explore-cells"), explorePlot: $("explore-plot"),
  exploreOver: $("explore-over"), exploreHit: $("explore-hit"), exploreReadout: $("explore-readout"),
  quiz: $("quiz"), answerPick: $("answer-pick"), classNote: $("class-note"),
  data: $("data"), dataWho: $("data-who"), dataTest: $("data-test"), dataBox: $("data-box"), dataCanvas: $("data-canvas"),
  dataReadout: $("data-readout"), dataKey: $("data-key"), dataItems: $("data-items"), dataNote: $("data-note"),
};

export function setStatus(text, warn) {
  el.status.textContent = text || "";
  el.status.classList.toggle("warn", !!warn);
}
