"""Numeric OIDs auditor reads (no MIB files are loaded: numbers are faster and never missing)."""

from __future__ import annotations

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"  # TimeTicks, hundredths; wraps after ~497 days
SYS_NAME = "1.3.6.1.2.1.1.5.0"
HR_SYSTEM_UPTIME = "1.3.6.1.2.1.25.1.1.0"  # TimeTicks of the host, not the agent
SNMP_ENGINE_TIME = "1.3.6.1.6.3.10.2.1.3.0"  # seconds since the engine's last boot

SYSTEM = (SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_UPTIME, HR_SYSTEM_UPTIME, SNMP_ENGINE_TIME)

ENTERPRISES = "1.3.6.1.4.1."

# ENTITY-MIB entPhysicalTable columns
ENT_PHYSICAL = "1.3.6.1.2.1.47.1.1.1.1"
ENT_CLASS = ENT_PHYSICAL + ".5"
ENT_COLUMNS = {
    "descr": 2,
    "class": 5,
    "name": 7,
    "hardware_rev": 8,
    "firmware_rev": 9,
    "software_rev": 10,
    "serial": 11,
    "mfg_name": 12,
    "model": 13,
    "mfg_date": 17,
}
ENT_CLASS_CHASSIS = 3
ENT_MODEL = f"{ENT_PHYSICAL}.{ENT_COLUMNS['model']}"
ENT_SERIAL = f"{ENT_PHYSICAL}.{ENT_COLUMNS['serial']}"

# Standard MIBs that say what a device is
DOT11_PRODUCT_NAME = "1.2.840.10036.3.1.2.1.3"  # IEEE802dot11-MIB dot11manufacturerProductName (a column)
PRINTER_MIB = "1.3.6.1.2.1.43"  # any row of it: a printer (its tables are indexed by hrDeviceIndex, not always 1)
PRT_GENERAL_SERIAL = "1.3.6.1.2.1.43.5.1.1.17.1"  # Printer-MIB: a printer
HR_DEVICE_TYPE_1 = "1.3.6.1.2.1.25.3.2.1.2.1"
HR_DEVICE_DESCR_1 = "1.3.6.1.2.1.25.3.2.1.3.1"
HR_DEVICE_PRINTER = "1.3.6.1.2.1.25.3.1.5"
UPS_IDENT_MANUFACTURER = "1.3.6.1.2.1.33.1.1.1.0"  # UPS-MIB: a UPS
UPS_IDENT_MODEL = "1.3.6.1.2.1.33.1.1.2.0"
UPS_IDENT_SOFTWARE = "1.3.6.1.2.1.33.1.1.3.0"
UPS_IDENT_AGENT_SOFTWARE = "1.3.6.1.2.1.33.1.1.4.0"
UPS_BATTERY_STATUS = "1.3.6.1.2.1.33.1.2.1.0"
UPS_OUTPUT_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"
# Any of these answering says UPS-MIB is implemented: many UPS cards leave the ident group empty.
UPS_SIGNS = (UPS_IDENT_MANUFACTURER, UPS_IDENT_MODEL, UPS_IDENT_AGENT_SOFTWARE, UPS_BATTERY_STATUS, UPS_OUTPUT_SOURCE)

# The shape of a device: what it forwards and bridges (RFC 1213 sysServices, IP-MIB, BRIDGE-MIB)
SYS_SERVICES = "1.3.6.1.2.1.1.7.0"  # bit 2 (value 2): layer 2, bridges; bit 3 (value 4): layer 3, routes
IP_FORWARDING = "1.3.6.1.2.1.4.1.0"  # 1: forwarding (a router), 2: a host
BRIDGE_PORTS = "1.3.6.1.2.1.17.1.2.0"  # dot1dBaseNumPorts
IF_NUMBER = "1.3.6.1.2.1.2.1.0"

PROBES = (
    SYS_SERVICES,
    IP_FORWARDING,
    BRIDGE_PORTS,
    IF_NUMBER,
    PRT_GENERAL_SERIAL,
    HR_DEVICE_TYPE_1,
    HR_DEVICE_DESCR_1,
    UPS_IDENT_MANUFACTURER,
    UPS_IDENT_MODEL,
    UPS_IDENT_SOFTWARE,
    UPS_IDENT_AGENT_SOFTWARE,
    UPS_BATTERY_STATUS,
    UPS_OUTPUT_SOURCE,
)

# IF-MIB
IF_TABLE_COLUMNS = {
    "descr": "1.3.6.1.2.1.2.2.1.2",
    "type": "1.3.6.1.2.1.2.2.1.3",
    "speed": "1.3.6.1.2.1.2.2.1.5",
    "admin_status": "1.3.6.1.2.1.2.2.1.7",
    "oper_status": "1.3.6.1.2.1.2.2.1.8",
    "name": "1.3.6.1.2.1.31.1.1.1.1",
    "high_speed": "1.3.6.1.2.1.31.1.1.1.15",
    "alias": "1.3.6.1.2.1.31.1.1.1.18",
}

IF_TYPE = IF_TABLE_COLUMNS["type"]
ETHERNET_TYPES = frozenset({6, 62, 117})  # ethernetCsmacd, fastEther, gigabitEthernet (IANAifType)
SWITCH_PORTS_MIN = 8  # a device with this many Ethernet ports and no other evidence is a switch
NETWORK_PORTS_MIN = 3  # fewer than SWITCH_PORTS_MIN but this many, on no host: it passes traffic on
RADIO_TYPES = frozenset({71})  # ieee80211: a Wi-Fi radio
# Line and transmission interfaces a host rarely has and a router, modem or transport node has
# (IANAifType): ds1, e1, propPointToPointSerial, ppp, ds3, frameRelay, atm, sonet, isdn, adsl, radsl,
# sdsl, vdsl, docsCableMaclayer/Downstream/Upstream, shdsl, pos, opticalChannel, opticalTransport,
# adsl2, adsl2plus, gpon, vdsl2.
WAN_TYPES = frozenset(
    {18, 19, 22, 23, 30, 32, 37, 39, 63, 94, 95, 96, 97, 127, 128, 129, 169, 171, 195, 196, 230, 238, 250, 251}
)

# Octet counters of one interface (append .ifIndex)
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_OUT_OCTETS = "1.3.6.1.2.1.2.2.1.16"

# The tables that show the devices behind a router or a switch (issue 16).
# IP-MIB: the neighbour (ARP / IPv6 ND) table, and the older IPv4-only one.
IP_NET_TO_PHYSICAL = "1.3.6.1.2.1.4.35.1"  # index: ifIndex.addressType.length.address
IP_NET_TO_PHYSICAL_COLUMNS = {"mac": 4, "type": 6}
IP_NET_TO_MEDIA = "1.3.6.1.2.1.4.22.1"  # index: ifIndex.a.b.c.d
IP_NET_TO_MEDIA_COLUMNS = {"mac": 2, "type": 4}
# BRIDGE-MIB and Q-BRIDGE-MIB: forwarding tables, and the bridge port → ifIndex map.
DOT1D_BASE_PORT_IF_INDEX = "1.3.6.1.2.1.17.1.4.1.2"  # index: bridge port
DOT1D_TP_FDB = "1.3.6.1.2.1.17.4.3.1"  # index: the MAC's six octets
DOT1D_TP_FDB_COLUMNS = {"port": 2, "status": 3}
DOT1Q_TP_FDB = "1.3.6.1.2.1.17.7.1.2.2.1"  # index: fdbId, then the MAC's six octets
DOT1Q_TP_FDB_COLUMNS = {"port": 2, "status": 3}
DOT1Q_VLAN_FDB_ID = "1.3.6.1.2.1.17.7.1.4.2.1.3"  # index: timeMark.vlanIndex, value: its fdbId
# IEEE8023-LAG-MIB: the aggregate each member port is attached to (0: none).
DOT3AD_AGG_PORT_ATTACHED = "1.2.840.10006.300.43.1.2.1.1.13"
# LLDP-MIB: who is on each local port.
LLDP_REM = "1.0.8802.1.1.2.1.4.1.1"  # index: timeMark.localPortNum.remIndex
LLDP_REM_COLUMNS = {
    "chassis_subtype": 4,
    "chassis": 5,
    "port_subtype": 6,
    "port": 7,
    "port_descr": 8,
    "name": 9,
    "descr": 10,
}
LLDP_REM_MAN_ADDR = "1.0.8802.1.1.2.1.4.2.1.3"  # lldpRemManAddrIfSubtype; the address is in the index
LLDP_LOC_PORT_ID = "1.0.8802.1.1.2.1.3.7.1.3"  # index: localPortNum
LLDP_LOC_PORT_DESCR = "1.0.8802.1.1.2.1.3.7.1.4"
# CISCO-CDP-MIB
CDP_CACHE = "1.3.6.1.4.1.9.9.23.1.2.1.1"  # index: ifIndex.deviceIndex
CDP_CACHE_COLUMNS = {"address_type": 3, "address": 4, "version": 5, "device_id": 6, "port": 7, "platform": 8}
IF_NAME = IF_TABLE_COLUMNS["name"]
IF_DESCR = IF_TABLE_COLUMNS["descr"]
# CISCO-VTP-MIB vtpVlanState (index: managementDomain.vlan): the VLANs whose forwarding tables a
# Cisco switch serves only to "community@vlan" (per-VLAN community indexing).
VTP_VLAN_STATE = "1.3.6.1.4.1.9.9.46.1.3.1.1.2"
CISCO = 9
