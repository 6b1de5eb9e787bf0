// How numbers read: 万 / 亿 for Chinese, K / M / B for English. Mirrors warroom/web/i18n.py.
const WarroomFormat = {
  compact(value, lang, digits = 2) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    const sign = value < 0 ? "-" : "";
    const v = Math.abs(value);
    const steps = lang === "zh" ? [[1e8, "亿"], [1e4, "万"]] : [[1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (const [size, suffix] of steps) {
      if (v >= size) return sign + (v / size).toFixed(digits) + suffix;
    }
    return sign + (Number.isInteger(v) ? v.toLocaleString("en-US")
      : v.toLocaleString("en-US", {minimumFractionDigits: digits, maximumFractionDigits: digits}));
  },
  money(value, lang) { return "¥" + this.compact(value, lang); },
  // Axis ticks: as short as possible but still distinct (2.5万, 3万 rather than 3万, 3万).
  axis(value, lang) {
    const s = this.compact(value, lang, 2);
    return s.includes(".") ? s.replace(/0+(?=\D*$)/, "").replace(/\.(?=\D*$)/, "") : s;
  },
  percentChange(now, before) {
    if (!before) return null;
    return (now - before) / before;
  },
  time(iso, tz) {
    return new Date(iso).toLocaleTimeString("zh-CN", {timeZone: tz, hour12: false});
  },
  dateTime(iso, tz) {
    return new Date(iso).toLocaleString("zh-CN", {timeZone: tz, hour12: false});
  },
};
