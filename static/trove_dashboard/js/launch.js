/* Launch Instance: when the datastore version changes, offer what that version allows;
 * as the flavor, volume size or replica count changes, show what the launch takes of
 * the project's quotas and refuse it, with the reason, when it does not fit.
 *
 * The server renders the form with the first version's choices; on a change this
 * asks LaunchChoicesView (one request, the same choices as JSON) and refills the
 * flavor, volume type and Advanced lists, enabling only the fields whose feature
 * (data-launch-feature) the version declares. The server validates the POST against
 * the posted version either way, quotas included. The quota bars and their sentences
 * are rendered by the server (_launch_quota.html); this only does the arithmetic.
 */
(function ($) {
  'use strict';

  // `attrsOf(value)`, when given, names attributes an option gets (a flavor's RAM...).
  function fillSelect($select, choices, placeholder, attrsOf) {
    if (!$select.length) { return; }
    var previous = $select.val();
    $select.empty();
    if (placeholder !== undefined) {
      $select.append($('<option>').val('').text(placeholder));
    }
    $.each(choices, function (i, choice) {
      var $option = $('<option>').val(choice[0]).text(choice[1]);
      if (attrsOf) { $option.attr(attrsOf(String(choice[0]))); }
      $select.append($option);
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
    // A note on what the version lacks shows while it offers none of the features named.
    $form.find('[data-launch-unavailable]').each(function () {
      var named = String($(this).data('launch-unavailable')).split(' ');
      var offered = named.some(function (c) { return capabilities.indexOf(c) >= 0; });
      $(this).prop('hidden', offered);
    });
    hideUnoffered($form);
    // An initial state the version lacks (restore, replica) cannot stay chosen.
    var $state = $form.find('select[name="initial_state"]');
    if ($state.find('option:selected').prop('disabled')) {
      $state.val('').trigger('change');
    }
  }

  // Fields marked data-launch-hide (Database Access) are hidden, not just disabled,
  // while the version does not offer them: the server renders them disabled then.
  function hideUnoffered($form) {
    $form.find('[data-launch-hide]').each(function () {
      $(this).closest('.form-group').prop('hidden', $(this).prop('disabled'));
    });
  }

  // -- quota ------------------------------------------------------------------------------

  // What the launch takes: {instances, volumes (GB), ram (MB)}; a replica launch makes
  // replica_count instances.
  function launchNeeds($form) {
    var ram = parseInt($form.find('select[name="flavor"] option:selected').attr('data-ram'),
                       10) || 0;
    var volume = parseInt($form.find('input[name="volume"]').val(), 10) || 0;
    var count = 1;
    if ($form.find('select[name="initial_state"]').val() === 'replica') {
      count = parseInt($form.find('input[name="replica_count"]').val(), 10) || 1;
    }
    return {instances: count, volumes: volume * count, ram: ram * count};
  }

  // One resource's second bar and sentence; its refusal, or null when the launch fits.
  function drawResource($resource, need) {
    var used = Number($resource.attr('data-quota-used'));
    var limit = Number($resource.attr('data-quota-limit'));
    var fits = limit < 0 || used + need <= limit;
    var $bars = $resource.find('.progress-bar');
    var usedPercent = Number($bars.eq(0).attr('aria-valuenow')) || 0;
    var adds = limit > 0 ? 100 * need / limit : (fits ? 0 : 100);
    adds = Math.max(0, Math.min(100 - usedPercent, adds));
    $bars.eq(1).css('width', adds + '%').attr('aria-valuenow', Math.round(adds))
      .toggleClass('progress-bar-danger', !fits);
    var $adds = $resource.find('.launch-quota-adds');
    $adds.text(interpolate($adds.attr('data-template'), {need: need}, true));
    if (fits) { return null; }
    return interpolate($resource.attr('data-quota-refusal'),
                       {need: need, left: Math.max(0, limit - used), limit: limit}, true);
  }

  // Redraw the bars; disable Launch, saying why beside it, when the launch does not fit.
  function updateQuota($form) {
    var $quota = $form.find('.launch-quota');
    if (!$quota.length) { return; }
    var needs = launchNeeds($form);
    var reasons = [];
    $quota.find('.launch-quota-resource').each(function () {
      var why = drawResource($(this), needs[$(this).attr('data-quota-resource')] || 0);
      if (why) { reasons.push(why); }
    });
    var text = reasons.join(' ');
    $quota.find('.launch-quota-refusal').text(text).prop('hidden', !reasons.length);
    var $submit = $form.find('input[type="submit"], button[type="submit"]');
    $submit.prop('disabled', reasons.length > 0).attr('title', text || null);
    var $footer = $form.find('.launch-quota-footer');
    if (!$footer.length) {
      $footer = $('<p class="launch-quota-footer text-danger" role="alert">');
      $form.find('.modal-footer').first().prepend($footer);
    }
    $footer.text(text).prop('hidden', !reasons.length);
  }

  $(document).on('change input spinstop', [
    'select[name="flavor"]', 'input[name="volume"]', 'input[name="replica_count"]',
    'select[name="initial_state"]'].join(', '), function () {
    updateQuota($(this).closest('form'));
  });

  // -- descriptions and notes ------------------------------------------------------------

  // The chosen volume type's whole description, under its select (options are cut).
  function describeVolumeType($form) {
    var $option = $form.find('select[name="volume_type"] option:selected');
    $form.find('[data-launch-note="volume-type-description"]')
      .text($option.attr('title') || '');
  }

  $(document).on('change', 'select[name="volume_type"]', function () {
    describeVolumeType($(this).closest('form'));
  });

  function initForm($scope) {
    hideUnoffered($scope);
    $scope.find('form').addBack('form').each(function () { updateQuota($(this)); });
  }

  if (window.horizon && horizon.modals && horizon.modals.addModalInitFunction) {
    horizon.modals.addModalInitFunction(function (modal) { initForm($(modal)); });
  }
  $(function () { initForm($(document)); });

  function apply($form, data) {
    fillSelect($form.find('select[name="flavor"]'), data.flavors, undefined,
               function (value) { return {'data-ram': data.flavor_ram[value]}; });
    fillSelect($form.find('select[name="volume_type"]'), data.volume_types, undefined,
               function (value) {
                 return {title: data.volume_type_descriptions[value] || null};
               });
    describeVolumeType($form);
    fillSelect($form.find('select[name="configuration"]'), data.configurations, gettext('None'));
    var offersGroups = data.capabilities.indexOf('configuration') >= 0;
    $form.find('[data-launch-note="configuration-none"]')
      .prop('hidden', !offersGroups || data.configurations.length > 0);
    fillSelect($form.find('select[name="backup"]'), data.backups, gettext('Select a backup'));
    fillSelect($form.find('select[name="replica_of"]'), data.replica_sources,
               gettext('Select an instance'));
    var offersModules = data.capabilities.indexOf('modules') >= 0;
    fillModules($form.find('.launch-modules-choices'), data.modules, offersModules);
    $form.find('.launch-modules').prop('hidden', !offersModules);
    $form.find('[data-launch-template]').each(function () {
      $(this).text(interpolate($(this).attr('data-launch-template'),
                               {datastore: data.datastore}, true));
    });
    toggleFeatures($form, data.capabilities);
    updateQuota($form);
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
