/* Backups: Create Backup lists only the chosen instance's parents, and a schedule's
 * executions follow the runs.
 *
 * Each parent option names its instance (data-instance); options of other instances
 * are hidden. A schedule's page asks for itself every few seconds and swaps in the
 * executions table, unless a modal is open or rows are selected.
 */
(function ($) {
  'use strict';

  var INTERVAL_MS = 5000;

  function filterParents($form) {
    var instance = $form.find('select.backup-instance').val();
    var $parent = $form.find('select.backup-parent');
    $parent.find('option[data-instance]').each(function () {
      var mine = $(this).attr('data-instance') === instance;
      $(this).prop('hidden', !mine).prop('disabled', !mine);
    });
    if ($parent.find('option:selected').prop('disabled')) { $parent.val(''); }
  }

  $(document).on('change', 'select.backup-instance', function () {
    filterParents($(this).closest('form'));
  });
  $(document).on('shown.bs.modal', '.modal', function () {
    $(this).find('select.backup-instance').each(function () {
      filterParents($(this).closest('form'));
    });
  });

  function followExecutions() {
    var $box = $('.schedule-executions[data-refresh="true"]');
    if (!$box.length) { return; }
    setTimeout(function () {
      var busy = $('.modal:visible').length || $box.find('input:checked').length;
      if (busy) { followExecutions(); return; }
      $.get(window.location.pathname)
        .done(function (html) {
          var $fresh = $(html).find('.schedule-executions');
          if ($fresh.length) { $box.html($fresh.html()); }
          followExecutions();
        })
        .fail(followExecutions);
    }, INTERVAL_MS);
  }

  horizon.addInitFunction(function () {
    $('select.backup-instance').each(function () { filterParents($(this).closest('form')); });
    followExecutions();
  });
}(jQuery));
