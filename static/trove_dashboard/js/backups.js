/* Backups: Create Backup offers only what fits the chosen instance, and a schedule's
 * executions follow the runs.
 *
 * Incremental is disabled for an instance whose option says data-incremental="false";
 * each parent option names its instance (data-instance) and those of other instances
 * are hidden. A schedule's page asks for itself every few seconds and swaps in the
 * executions table, unless a modal is open or rows are selected.
 */
(function ($) {
  'use strict';

  var INTERVAL_MS = 5000;

  function fitToInstance($form) {
    var $instance = $form.find('select.backup-instance');
    var instance = $instance.val();
    var incremental = $instance.find('option:selected').attr('data-incremental') !== 'false';
    var $kind = $form.find('select.backup-kind');
    $kind.find('option[value="incremental"]').prop('disabled', !incremental);
    if (!incremental && $kind.val() === 'incremental') { $kind.val('full').trigger('change'); }
    var $parent = $form.find('select.backup-parent');
    $parent.find('option[data-instance]').each(function () {
      var mine = $(this).attr('data-instance') === instance;
      $(this).prop('hidden', !mine).prop('disabled', !mine);
    });
    if ($parent.find('option:selected').prop('disabled')) { $parent.val(''); }
  }

  $(document).on('change', 'select.backup-instance', function () {
    fitToInstance($(this).closest('form'));
  });
  $(document).on('shown.bs.modal', '.modal', function () {
    $(this).find('select.backup-instance').each(function () {
      fitToInstance($(this).closest('form'));
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
    $('select.backup-instance').each(function () { fitToInstance($(this).closest('form')); });
    followExecutions();
  });
}(jQuery));
