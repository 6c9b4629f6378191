(function () {
  // The compose form's time zone starts as the browser's own; a form sent
  // back with errors keeps the zone that was chosen.
  var select = document.querySelector('select[name="time_zone"]');
  if (select && !select.value) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
    if (zone && select.querySelector('option[value="' + zone + '"]')) select.value = zone;
  }

  // A form sent back with errors puts the cursor in the first field to fix.
  var invalid = document.querySelector(".deform .is-invalid, .deform .has-error :is(input, select, textarea)");
  if (invalid) invalid.focus();
})();
