'use strict';
// The favorites changelist's customer filter: picking a customer reloads the list on it.
window.addEventListener('load', function() {
    const $ = django.jQuery;
    $('#customer-autocomplete-filter').on('change', function() {
        const params = new URLSearchParams(window.location.search);
        const name = this.dataset.parameter;
        params.delete('p');
        if (this.value) {
            params.set(name, this.value);
        } else {
            params.delete(name);
        }
        window.location.search = params.toString();
    });
});
