// The compose form's time zone starts as the browser's own, unless the
// page already chose one (the zone of the user's previous message).
(function () {
  var select = document.querySelector("select.wg-zone");
  if (!select || select.value) return;
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  if (zone && select.querySelector('option[value="' + zone + '"]')) select.value = zone;
})();
