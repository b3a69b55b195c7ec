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

/* The Overview's Copy button beside the connection command: the clipboard API where the
 * page may use it, else the text is selected (and copied where the browser still lets
 * execCommand do it) for the user to copy. The button says what happened for a moment.
 * Delegated from the document: the Overview is swapped in again while it is followed.
 */
(function ($) {
  'use strict';

  var FEEDBACK_MS = 2000;

  function say(button, label) {
    var original = button.data('label') || button.text();
    button.data('label', original).text(label);
    button.closest('.connection-command').find('.connection-copy-status').text(label);
    clearTimeout(button.data('timer'));
    button.data('timer', setTimeout(function () { button.text(original); }, FEEDBACK_MS));
  }

  function selectForTheUser(field, button) {
    field.trigger('focus');
    field[0].select();
    var copied = false;
    try { copied = document.execCommand('copy'); } catch (ignored) { copied = false; }
    say(button, button.data(copied ? 'copied-label' : 'selected-label'));
  }

  $(document).on('click', '.copy-connection', function () {
    var button = $(this);
    var field = button.closest('.connection-command').find('.connection-command-text');
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.val()).then(
        function () { say(button, button.data('copied-label')); },
        function () { selectForTheUser(field, button); });
    } else {
      selectForTheUser(field, button);
    }
  });
}(jQuery));
