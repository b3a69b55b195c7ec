/* Launch Instance: when the datastore version changes, offer what that version allows.
 *
 * The server renders the form with the first version's choices; on a change this
 * asks LaunchChoicesView (one request, the same choices as JSON) and refills the
 * flavor, volume type and Advanced lists, enabling only the fields whose feature
 * (data-launch-feature) the version declares. The server validates the POST against
 * the posted version either way.
 */
(function ($) {
  'use strict';

  function fillSelect($select, choices, placeholder) {
    if (!$select.length) { return; }
    var previous = $select.val();
    $select.empty();
    if (placeholder !== undefined) {
      $select.append($('<option>').val('').text(placeholder));
    }
    $.each(choices, function (i, choice) {
      $select.append($('<option>').val(choice[0]).text(choice[1]));
    });
    if (choices.some(function (c) { return String(c[0]) === previous; })) {
      $select.val(previous);
    } else if (!choices.length && placeholder === undefined) {
      $select.append($('<option>').val('').text(gettext('None allowed for this version')));
    }
  }

  // The Modules container (id_modules, rendered by _launch_modules_field.html): one checkbox
  // per module of the version, auto-apply ones checked and locked; names are text, never HTML.
  function fillModules($container, modules, offered) {
    if (!$container.length) { return; }
    $container.empty();
    if (!modules.length) {
      $container.append($('<p class="help-block launch-modules-none">').text(
        $container.data(offered ? 'none' : 'unavailable')));
      return;
    }
    $.each(modules, function (i, module) {
      var id = 'id_modules_' + i;
      var $input = $('<input type="checkbox" name="modules">').attr(
        {value: module.id, id: id, 'data-launch-feature': 'modules'});
      var label = module.name;
      if (module.auto_apply) {
        $input.prop({checked: true, disabled: true}).attr('data-locked', 'true');
        label += ' ' + gettext('(applied automatically)');
      }
      var $label = $('<label>').attr('for', id)
        .append($input, document.createTextNode(' '), $('<span>').text(label));
      $container.append($('<div class="checkbox">').append($label));
    });
  }

  function toggleFeatures($form, capabilities) {
    $form.find('[data-launch-feature]').each(function () {
      if ($(this).data('locked')) { return; }
      var needed = String($(this).data('launch-feature')).split(' ');
      var offered = needed.some(function (c) { return capabilities.indexOf(c) >= 0; });
      $(this).prop('disabled', !offered);
    });
    $form.find('[data-launch-unavailable]').each(function () {
      var offered = capabilities.indexOf($(this).data('launch-unavailable')) >= 0;
      $(this).prop('hidden', offered);
    });
    hideUnoffered($form);
  }

  // Fields marked data-launch-hide (Database Access) are hidden, not just disabled,
  // while the version does not offer them: the server renders them disabled then.
  function hideUnoffered($form) {
    $form.find('[data-launch-hide]').each(function () {
      $(this).closest('.form-group').prop('hidden', $(this).prop('disabled'));
    });
  }

  if (window.horizon && horizon.modals && horizon.modals.addModalInitFunction) {
    horizon.modals.addModalInitFunction(function (modal) { hideUnoffered($(modal)); });
  }
  $(function () { hideUnoffered($(document)); });

  function apply($form, data) {
    fillSelect($form.find('select[name="flavor"]'), data.flavors);
    fillSelect($form.find('select[name="volume_type"]'), data.volume_types);
    fillSelect($form.find('select[name="configuration"]'), data.configurations, gettext('None'));
    fillSelect($form.find('select[name="backup"]'), data.backups, gettext('Select a backup'));
    fillSelect($form.find('select[name="replica_of"]'), data.replica_sources,
               gettext('Select an instance'));
    fillModules($form.find('.launch-modules-choices'), data.modules,
                data.capabilities.indexOf('modules') >= 0);
    toggleFeatures($form, data.capabilities);
  }

  $(document).on('change', 'select.launch-version', function () {
    var $select = $(this);
    var $form = $select.closest('form');
    var url = $select.data('launch-choices-url');
    $form.find('select[name="flavor"], select[name="volume_type"]').prop('disabled', true);
    $.getJSON(url, {datastore_version: $select.val()})
      .done(function (data) {
        $form.find('select[name="flavor"], select[name="volume_type"]').prop('disabled', false);
        apply($form, data);
      })
      .fail(function (xhr) {
        $form.find('select[name="flavor"], select[name="volume_type"]').prop('disabled', false);
        var message = (xhr.responseJSON && xhr.responseJSON.error) ||
          gettext('Could not load the choices of this version.');
        horizon.toast.add('error', message);
      });
  });
}(jQuery));
