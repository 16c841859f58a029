// The player's keys: space plays or pauses, the arrows step, Home and End
// go to the first and the last step, Esc cancels "Set start". They work without clicking into the frame first: the frame
// is same-origin, so the host page's keys are heard too, except those meant
// for something else there (a text field, a select, a slider, any Streamlit
// widget, a button). The host listener goes with the frame.

const EDITABLE = new Set(["INPUT", "SELECT", "TEXTAREA", "BUTTON", "A", "SUMMARY", "OPTION"]);
const WIDGETS = '[contenteditable=""], [contenteditable="true"], [role="slider"], [role="combobox"], ' +
  '[role="listbox"], [role="textbox"], [role="spinbutton"], [role="button"], [role="menu"], [role="dialog"], ' +
  '[role="tab"], [data-baseweb], [data-testid^="stWidget"], [class*="st-key-"], .stSlider, .stSelectbox, ' +
  '.stTextInput, .stNumberInput, .stTextArea, .stButton, .stCheckbox, .stRadio';

function meantForHost(target) {
  if (!target || target.nodeType !== 1) return false;
  if (EDITABLE.has(target.tagName) || target.isContentEditable) return true;
  return !!(target.closest && target.closest(WIDGETS));
}

// `act(name)`: "toggle", "back", "forward", "first", "last", "escape";
// returns true if handled.
export function installKeys(act) {
  const handle = (ev, host) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape") { if (act("escape")) ev.preventDefault(); return; }
    const t = ev.target, tag = t && t.tagName;
    if (host ? meantForHost(t) : (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA")) return;
    if (ev.key === " " && (host || tag !== "BUTTON")) { ev.preventDefault(); act("toggle"); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); act("back"); }
    else if (ev.key === "ArrowRight") { ev.preventDefault(); act("forward"); }
    else if (ev.key === "Home" && act("first")) ev.preventDefault();
    else if (ev.key === "End" && act("last")) ev.preventDefault();
  };
  const own = (ev) => handle(ev, false);
  const host = (ev) => handle(ev, true);
  document.addEventListener("keydown", own);
  let hostDoc = null;
  try {
    if (window.parent !== window) { hostDoc = window.parent.document; hostDoc.addEventListener("keydown", host); }
  } catch (e) { hostDoc = null; } // not same-origin: keys need a click into the frame
  const remove = () => {
    try { if (hostDoc) hostDoc.removeEventListener("keydown", host); } catch (e) { /* gone */ }
    hostDoc = null;
  };
  window.addEventListener("pagehide", remove);
  window.addEventListener("unload", remove);
  return remove;
}
