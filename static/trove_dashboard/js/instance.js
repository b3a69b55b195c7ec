/* An instance's detail page follows the instance while it is transitional: the project's
 * page and the Admin dashboard's (after a Reboot or Stop asked from it) alike.
 *
 * Every few seconds it asks for the Overview tab alone (Horizon renders one tab for an
 * ajax ?tab= request) and swaps it in; once the instance settles, the page reloads
 * once so the actions and events match the new state. A form open in a modal is
 * never disturbed.
 */
(function ($) {
  'use strict';

  var INTERVAL_MS = 3000;
  var TAB = 'instance_details__overview';
  var ADMIN_TAB = 'admin_instance_details__overview';

  // The project's detail page, or the Admin dashboard's (asked once the page is there).
  function tab() {
    return $('#' + ADMIN_TAB).length ? ADMIN_TAB : TAB;
  }

  function moving() {
    return $('#' + tab() + ' .instance-status').attr('data-transitional') === 'true';
  }

  function follow() {
    if (!moving()) { return; }
    setTimeout(function () {
      if ($('.modal:visible').length) { follow(); return; }
      $.get(window.location.pathname, {tab: tab()})
        .done(function (html) {
          $('#' + tab()).html(html);
          if (moving()) { follow(); } else { window.location.reload(); }
        })
        .fail(function () { window.location.reload(); });
    }, INTERVAL_MS);
  }

  horizon.addInitFunction(follow);
}(jQuery));
