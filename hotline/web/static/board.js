/* The live board: polls /board.json with the version it shows (If-None-Match); a 304 means
   nothing changed, a 200 brings the sections rendered anew. Ages tick every second against the
   server's clock (the offset from the last answer), never the browser's own idea of the time. */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var url = root.getAttribute("data-poll");
  var every = parseInt(root.getAttribute("data-every"), 10) || 1500;
  var version = root.getAttribute("data-version");
  var offset = Date.parse(root.getAttribute("data-now")) - Date.now();
  var stand = document.getElementById("stand");
  var stale = document.getElementById("stale");

  function two(n) { return (n < 10 ? "0" : "") + n; }

  /* The same words as the page's `duration` filter (hotline/web/board.py). */
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 60) { return seconds + " s"; }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) { return minutes + " min"; }
    var hours = Math.floor(minutes / 60);
    if (hours < 24) { return hours + " h " + two(minutes % 60) + " min"; }
    return Math.floor(hours / 24) + " T " + (hours % 24) + " h";
  }

  function tick() {
    var now = Date.now() + offset;
    var ages = root.querySelectorAll("time[data-age]");
    for (var i = 0; i < ages.length; i++) {
      ages[i].textContent = duration((now - Date.parse(ages[i].getAttribute("datetime"))) / 1000);
    }
    if (stand) {  /* the server's wall clock: its offset is in the ISO time it sent */
      var sent = root.getAttribute("data-now");
      var zone = (sent.match(/([+-]\d\d):(\d\d)$/) || [null, "+00", "00"]);
      var shift = (parseInt(zone[1], 10) * 60 + (zone[1][0] === "-" ? -1 : 1) * parseInt(zone[2], 10)) * 60000;
      var wall = new Date(now + shift);
      stand.textContent = two(wall.getUTCHours()) + ":" + two(wall.getUTCMinutes()) + ":" + two(wall.getUTCSeconds());
    }
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("If-None-Match", 'W/"' + version + '"');
    request.setRequestHeader("Accept", "application/json");
    request.timeout = 10000;
    request.onload = function () {
      var type = request.getResponseHeader("Content-Type") || "";
      if (request.status === 200 && type.indexOf("application/json") === 0) {
        var data = JSON.parse(request.responseText);
        version = data.version;
        offset = Date.parse(data.now) - Date.now();
        root.setAttribute("data-version", version);
        root.setAttribute("data-now", data.now);
        root.innerHTML = data.html;  /* rendered and escaped by the server */
        tick();
        stale.hidden = true;
      } else if (request.status === 304) {
        stale.hidden = true;
      } else if (request.status === 200) {
        window.location.reload();  /* the login page: the session ended */
        return;
      } else {
        stale.hidden = false;
      }
      window.setTimeout(poll, every);
    };
    request.onerror = request.ontimeout = function () {
      stale.hidden = false;
      window.setTimeout(poll, every);
    };
    request.send();
  }

  window.setInterval(tick, 1000);
  window.setTimeout(poll, every);
})();
