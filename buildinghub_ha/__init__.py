"""Home Assistant glue shared by the Building Hub integrations.

The only package besides the integrations that imports Home Assistant. Each
module is one thing the three integrations would otherwise each write:

- ``network``: an entry's hold on the shared building network, and its hub on it;
- ``hub``: what every hub is: its entry, its network, its fleet, its dispatcher signals;
- ``radio_flow``: the config flow's radio steps (EZSP port or simulated building);
- ``fleet``: the devices of one kind an entry manages, as they are and as they join
  (``ManagedDevice``, and ``DeviceCard``: how one shows in the device registry);
- ``entity``: the base entity of a managed device, and the platform setup that adds them;
- ``coordinator``: the coordinator that polls one managed device;
- ``actions``: registering actions (administrators' as admin services), and call helpers;
- ``errors``: the library's errors, told in an integration's own words;
- ``ble``: BLE devices through Home Assistant's bluetooth, and a backend's airway.
"""
