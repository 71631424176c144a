"""The capacity plan: from an environment's users and per-user rules to what Terraform provisions.

`Planner(env)` does the work that does not depend on the number of users once (node shapes,
allocatable, overheads, users per node, unit prices, address ranges); `Planner.plan(users)` then
sizes pools, storage, addresses and cost for one user count cheaply, so a sweep over 10^4 user
counts stays fast. `plan_capacity()` is the one-call entry point others use.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sciplat.capacity._data import load
from sciplat.capacity.errors import CapacityError
from sciplat.capacity.machines import Machine, lookup
from sciplat.capacity.node import Allocatable, allocatable
from sciplat.capacity.prices import PriceTable, load_prices

MAX_USERS = 100_000  # the schema's ceiling for users.peak_concurrent
CONSTRAINTS = ("cpu", "memory", "pods", "ephemeral_storage")


# --------------------------------------------------------------------------- small helpers


def _get(env: dict[str, Any], path: str) -> Any:
    node: Any = env
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise CapacityError(path, "missing from the environment")
    return node


def _num(env: dict[str, Any], path: str, *, lo: float, hi: float, integer: bool = False) -> float:
    value = _get(env, path)
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not math.isfinite(float(value)):
        kind = "an integer" if integer else "a number"
        raise CapacityError(path, f"expected {kind}, got {value!r}")
    if not lo <= value <= hi:
        raise CapacityError(path, f"{value} is out of range ({lo:g} to {hi:g})")
    return float(value)


def _machine(name: Any, path: str) -> Machine:
    machine = lookup(name) if isinstance(name, str) else None
    if machine is None:
        import difflib

        from sciplat.capacity.machines import names

        close = difflib.get_close_matches(str(name), names(), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CapacityError(path, f"unknown machine type {name!r}{hint}")
    return machine


def _round(x: float, digits: int = 2) -> float:
    return round(x + 0.0, digits)


def pod_block_size(max_pods: int) -> int:
    """Addresses GKE takes from the pods range per node: the smallest power of two >= 2 x max."""
    return 1 << math.ceil(math.log2(2 * max_pods))


# --------------------------------------------------------------------------- rules and shapes


@dataclass(frozen=True)
class Rules:
    """Per-user rules from the environment (guarantees are the largest any size offers)."""

    cpu_guarantee: float
    cpu_limit: float
    memory_guarantee_gib: float
    memory_limit_gib: float
    home_gib: float
    image_size_gib: float
    max_images: int
    lab_ephemeral_gib: float
    image_cache_gib: float


@dataclass(frozen=True)
class NodeFit:
    """How users fit on one node of a pool: the per-node half of the plan."""

    pool: str
    path: str  # field path of the pool, for messages
    machine: Machine
    alloc: Allocatable
    disk_type: str
    disk_size_gib: float
    local_ssd_count: int
    spot: bool
    max_pods_per_node: int
    daemonset_cpu: float
    daemonset_memory_gib: float
    daemonset_pods: int
    bounds: dict[str, int]
    users_per_node: int
    binding: str
    overcommit_cpu: float
    overcommit_memory: float
    node_month_usd: float
    disk_month_usd: float
    local_ssd_month_usd: float
    explicit: tuple[int, int] | None  # autoscaling bounds given in the environment
    notes: tuple[str, ...] = ()

    @property
    def month_usd(self) -> float:
        return self.node_month_usd + self.disk_month_usd + self.local_ssd_month_usd


def _daemonsets(network_policy: bool, user_pool: bool) -> tuple[float, float, int, list[str]]:
    cpu = mem_mib = 0.0
    pods = 0
    names: list[str] = []
    for ds in load("overheads.json")["daemonsets"]:
        when = ds["when"]
        if (
            when == "always"
            or (when == "network_policy" and network_policy)
            or (when == "prepuller" and user_pool)
        ):
            cpu += float(ds["cpu"])
            mem_mib += float(ds["memory_mib"])
            pods += 1
            names.append(ds["name"])
    return cpu, mem_mib / 1024, pods, names


def fit_node(
    pool: dict[str, Any],
    path: str,
    rules: Rules,
    prices: PriceTable,
    *,
    network_policy: bool,
    machine_type: str | None = None,
) -> NodeFit:
    """Users per node of `pool` and which constraint binds; refuse what cannot fit."""
    machine = _machine(machine_type or pool.get("machine_type"), f"{path}.machine_type")
    notes: list[str] = []
    local_ssd = int(pool.get("local_ssd_count", 0))
    if local_ssd and not machine.local_ssd:
        notes.append(
            f"{machine.name} cannot attach local SSDs; ephemeral storage uses the boot disk"
        )
        local_ssd = 0
    disk_gib = float(pool.get("disk_size_gib", 100))
    max_pods = int(pool.get("max_pods_per_node", 32))
    alloc = allocatable(machine, boot_disk_gib=disk_gib, local_ssd_count=local_ssd)
    ds_cpu, ds_mem, ds_pods, _ = _daemonsets(network_policy, user_pool=True)
    free_cpu = alloc.cpu_cores - ds_cpu
    free_mem = alloc.memory_gib - ds_mem

    if rules.cpu_limit > free_cpu + 1e-9:
        raise CapacityError(
            f"{path}.machine_type",
            f"one user at the CPU limit ({rules.cpu_limit:g} cores) does not fit on "
            f"{machine.name}: {free_cpu:.2f} cores left after GKE reservations and DaemonSets",
        )
    if rules.memory_limit_gib > free_mem + 1e-9:
        raise CapacityError(
            f"{path}.machine_type",
            f"one user at the memory limit ({rules.memory_limit_gib:g} GiB) does not fit on "
            f"{machine.name}: {free_mem:.2f} GiB left after GKE reservations and DaemonSets",
        )
    # Ephemeral storage: the scheduler counts lab scratch against allocatable; the image
    # cache sits on the same filesystem and must leave the kubelet's eviction threshold free.
    eviction = (
        alloc.ephemeral_capacity_gib * load("gke.json")["ephemeral_storage"]["eviction_fraction"]
    )
    room_after_images = alloc.ephemeral_capacity_gib - eviction - rules.image_cache_gib
    if room_after_images < rules.lab_ephemeral_gib:
        where = f"{local_ssd} local SSD" if local_ssd else f"a {disk_gib:g} GiB boot disk"
        raise CapacityError(
            f"{path}.disk_size_gib" if not local_ssd else f"{path}.local_ssd_count",
            f"the image cache ({rules.max_images} images x {rules.image_size_gib:g} GiB with "
            f"margin = {rules.image_cache_gib:g} GiB) does not fit the node-local storage of "
            f"{where} ({alloc.ephemeral_capacity_gib:.1f} GiB, {eviction:.1f} GiB kept free "
            "for eviction)",
        )
    eph_users = min(alloc.ephemeral_gib, room_after_images) / rules.lab_ephemeral_gib
    bounds = {
        "cpu": math.floor(free_cpu / rules.cpu_guarantee + 1e-9),
        "memory": math.floor(free_mem / rules.memory_guarantee_gib + 1e-9),
        "pods": max_pods - ds_pods,
        "ephemeral_storage": math.floor(eph_users + 1e-9),
    }
    binding = min(CONSTRAINTS, key=lambda k: (bounds[k], CONSTRAINTS.index(k)))
    upn = bounds[binding]
    if upn < 1:
        raise CapacityError(
            f"{path}.max_pods_per_node" if binding == "pods" else f"{path}.machine_type",
            f"no user fits on a {machine.name} node: {binding} allows {upn}",
        )
    spot = bool(pool.get("spot", False))
    disk_type = str(pool.get("disk_type", "pd-ssd"))
    autoscaling = pool.get("autoscaling", "from_capacity")
    explicit = None
    if isinstance(autoscaling, dict):
        explicit = (int(autoscaling["min_nodes"]), int(autoscaling["max_nodes"]))
        if explicit[0] > explicit[1]:
            raise CapacityError(
                f"{path}.autoscaling.min_nodes",
                f"min_nodes {explicit[0]} is above max_nodes {explicit[1]}",
            )
    return NodeFit(
        pool=str(pool.get("name", "user")),
        path=path,
        machine=machine,
        alloc=alloc,
        disk_type=disk_type,
        disk_size_gib=disk_gib,
        local_ssd_count=local_ssd,
        spot=spot,
        max_pods_per_node=max_pods,
        daemonset_cpu=ds_cpu,
        daemonset_memory_gib=ds_mem,
        daemonset_pods=ds_pods,
        bounds=bounds,
        users_per_node=upn,
        binding=binding,
        overcommit_cpu=upn * rules.cpu_limit / alloc.cpu_cores,
        overcommit_memory=upn * rules.memory_limit_gib / alloc.memory_gib,
        node_month_usd=prices.node_month_usd(machine.name, spot),
        disk_month_usd=disk_gib * prices.disk_gib_month_usd(disk_type),
        local_ssd_month_usd=local_ssd
        * float(load("gke.json")["ephemeral_storage"]["local_ssd_gib"])
        * prices.local_ssd_gib_month_usd(),
        explicit=explicit,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- Filestore


@dataclass(frozen=True)
class FilestoreChoice:
    tier: str
    capacity_gib: int  # per instance
    instances: int
    monthly_usd: float
    needed_gib: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "capacity_gib": self.capacity_gib,
            "instances": self.instances,
            "total_gib": self.capacity_gib * self.instances,
            "needed_gib": _round(self.needed_gib, 1),
            "monthly_usd": _round(self.monthly_usd),
            "can_shrink": bool(load("filestore.json")["tiers"][self.tier]["shrink"]),
        }


def _tier_capacity(tier: str, need_gib: float) -> int | None:
    """Smallest capacity one instance of `tier` can have that holds `need_gib`, or None."""
    for lo, hi, step in load("filestore.json")["tiers"][tier]["bands"]:
        size = max(float(lo), need_gib)
        size = math.ceil(size / step - 1e-9) * step
        if size <= hi:
            return int(size)
    return None


def tier_max_gib(tier: str) -> int:
    return int(max(band[1] for band in load("filestore.json")["tiers"][tier]["bands"]))


def size_filestore(
    need_gib: float, tier: str, prices: PriceTable, *, field: str, split: bool = True
) -> FilestoreChoice:
    """Fit `need_gib` to a Filestore tier's rules (minimum, step, maximum per instance).

    `tier` "auto" picks the cheapest tier. Beyond a tier's per-instance maximum the need is
    split over equal instances when `split`, else refused.
    """
    tiers = load("filestore.json")
    if tier == "auto":
        choices = []
        for name in tiers["auto_order"]:
            choice = size_filestore(need_gib, name, prices, field=field, split=split)
            choices.append(choice)
        return min(choices, key=lambda c: (c.monthly_usd, c.instances))
    if tier not in tiers["tiers"]:
        known = ", ".join(["auto", *tiers["tiers"]])
        raise CapacityError(field, f"unknown Filestore tier {tier!r} (one of {known})")
    size = _tier_capacity(tier, need_gib)
    instances = 1
    if size is None:
        biggest = tier_max_gib(tier)
        if not split:
            raise CapacityError(
                field,
                f"{need_gib:,.0f} GiB is beyond the {tier} maximum of {biggest:,} GiB per instance",
            )
        instances = math.ceil(need_gib / biggest)
        size = _tier_capacity(tier, need_gib / instances)
        while size is None:  # rounding up to the step overflowed the band
            instances += 1
            size = _tier_capacity(tier, need_gib / instances)
    monthly = size * instances * prices.filestore_gib_month_usd(tier)
    return FilestoreChoice(tier, size, instances, monthly, need_gib)


# --------------------------------------------------------------------------- network


@dataclass(frozen=True)
class Network:
    subnet: ipaddress.IPv4Network
    pods: ipaddress.IPv4Network
    services: ipaddress.IPv4Network
    subnet_nodes: int  # usable node addresses

    @classmethod
    def parse(cls, env: dict[str, Any]) -> Network:
        nets = {}
        for key in ("subnet_cidr", "pods_cidr", "services_cidr"):
            value = _get(env, f"network.{key}")
            try:
                nets[key] = ipaddress.IPv4Network(str(value), strict=True)
            except ValueError as exc:
                raise CapacityError(f"network.{key}", f"not an IPv4 CIDR: {exc}") from None
        reserved = int(load("gke.json")["limits"]["subnet_reserved_addresses"])
        return cls(
            subnet=nets["subnet_cidr"],
            pods=nets["pods_cidr"],
            services=nets["services_cidr"],
            subnet_nodes=max(nets["subnet_cidr"].num_addresses - reserved, 0),
        )


# --------------------------------------------------------------------------- the plan


@dataclass
class Sizing:
    """The result of a capacity plan. `to_dict()` is the `--json` object."""

    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.data

    # Convenience accessors for the fields most callers want.
    @property
    def users_per_node(self) -> int:
        return int(self.data["users_per_node"])

    @property
    def binding_constraint(self) -> str:
        return str(self.data["binding_constraint"])

    @property
    def monthly_usd(self) -> float:
        return float(self.data["cost"]["monthly_usd"])

    @property
    def user_max_nodes(self) -> int:
        return int(self.data["user_pool"]["max_nodes"])


class Planner:
    """Everything about an environment that does not depend on the number of users."""

    def __init__(
        self,
        env: dict[str, Any],
        *,
        machine_type: str | None = None,
        prices: PriceTable | None = None,
        prices_path: Path | None = None,
    ) -> None:
        self.env = env
        self.name = str(env.get("name", "environment"))
        self.prices = prices if prices is not None else load_prices(prices_path)
        planner = load("planner.json")
        self.limits = load("gke.json")["limits"]
        self.total_users = int(_num(env, "users.total", lo=1, hi=10**7, integer=True))
        self.peak_users = int(_num(env, "users.peak_concurrent", lo=1, hi=MAX_USERS, integer=True))
        self.headroom = _num(env, "users.headroom_percent", lo=0, hi=500) / 100
        self.network_policy = bool(env.get("cluster", {}).get("network_policy", False))
        self.rules = self._rules(env, planner)
        zones = env.get("gcp", {}).get("zones") or ["zone"]
        self.zones = len(zones)
        self.pool_node_limit = int(self.limits["max_nodes_per_pool_per_zone"]) * self.zones
        self.cluster_node_limit = int(self.limits["max_nodes_per_cluster"])

        pools = _get(env, "node_pools.user")
        if not isinstance(pools, list) or not pools:
            raise CapacityError("node_pools.user", "at least one user pool is needed")
        self.fits = [
            fit_node(
                pool,
                f"node_pools.user[{i}]",
                self.rules,
                self.prices,
                network_policy=self.network_policy,
                machine_type=machine_type if i == 0 else None,
            )
            for i, pool in enumerate(pools)
        ]
        self.primary = self.fits[0]
        if self.primary.explicit is not None and self.primary.explicit[1] < 1:
            raise CapacityError(
                "node_pools.user[0].autoscaling.max_nodes", "the primary pool needs max_nodes >= 1"
            )
        self._core_setup(env, planner)
        self.network = Network.parse(env)
        self.home_tier = str(_get(env, "storage.home_tier"))
        self.shared_tier = str(_get(env, "storage.shared_tier"))
        self.shared_gib = _num(env, "storage.shared_gib", lo=1, hi=10**6)
        self.registry_gib = _num(env, "storage.registry_cache_gib", lo=0, hi=10**6)
        self.registry_enabled = bool(env.get("registry_mirror", {}).get("enabled", True))
        self.hub_limit = int(planner["hub_max_concurrent_users"])
        self.min_fraction = float(planner["min_nodes_fraction"])
        self.shared = size_filestore(
            self.shared_gib, self.shared_tier, self.prices, field="storage.shared_gib", split=False
        )

    # ----------------------------------------------------------------- setup pieces

    def _rules(self, env: dict[str, Any], planner: dict[str, Any]) -> Rules:
        res = "resources"
        cpu_g = _num(env, f"{res}.cpu_guarantee_cores", lo=0.001, hi=512)
        cpu_l = _num(env, f"{res}.cpu_limit_cores", lo=0.001, hi=512)
        mem_g = _num(env, f"{res}.memory_guarantee_gib", lo=0.001, hi=4096)
        mem_l = _num(env, f"{res}.memory_limit_gib", lo=0.001, hi=4096)
        for i, size in enumerate(env.get(res, {}).get("sizes") or []):
            cpu_g = max(cpu_g, _num(env, f"{res}.sizes.{i}.cpu_guarantee_cores", lo=0.001, hi=512))
            cpu_l = max(cpu_l, _num(env, f"{res}.sizes.{i}.cpu_limit_cores", lo=0.001, hi=512))
            mem_g = max(
                mem_g, _num(env, f"{res}.sizes.{i}.memory_guarantee_gib", lo=0.001, hi=4096)
            )
            mem_l = max(mem_l, _num(env, f"{res}.sizes.{i}.memory_limit_gib", lo=0.001, hi=4096))
            del size
        if cpu_g > cpu_l:
            raise CapacityError(
                f"{res}.cpu_guarantee_cores", f"guarantee {cpu_g:g} is above the limit {cpu_l:g}"
            )
        if mem_g > mem_l:
            raise CapacityError(
                f"{res}.memory_guarantee_gib", f"guarantee {mem_g:g} is above the limit {mem_l:g}"
            )
        image_gib = _num(env, "storage.image_size_gib", lo=0.001, hi=1000)
        images = int(_num(env, "storage.max_images", lo=1, hi=100, integer=True))
        margin = float(planner["image_cache_margin"])
        return Rules(
            cpu_guarantee=cpu_g,
            cpu_limit=cpu_l,
            memory_guarantee_gib=mem_g,
            memory_limit_gib=mem_l,
            home_gib=_num(env, "storage.home_per_user_gib", lo=0.001, hi=10**5),
            image_size_gib=image_gib,
            max_images=images,
            lab_ephemeral_gib=float(planner["lab_ephemeral_gib"]),
            image_cache_gib=round(images * image_gib * (1 + margin), 3),
        )

    def _core_setup(self, env: dict[str, Any], planner: dict[str, Any]) -> None:
        core = _get(env, "node_pools.core")
        self.core_machine = _machine(core.get("machine_type"), "node_pools.core.machine_type")
        self.core_disk_type = str(core.get("disk_type", "pd-balanced"))
        self.core_disk_gib = float(core.get("disk_size_gib", 100))
        self.core_min = int(core.get("min_nodes", 1))
        self.core_max = int(core.get("max_nodes", 3))
        if self.core_min > self.core_max:
            raise CapacityError(
                "node_pools.core.min_nodes",
                f"min_nodes {self.core_min} is above max_nodes {self.core_max}",
            )
        alloc = allocatable(self.core_machine, boot_disk_gib=self.core_disk_gib)
        ds_cpu, ds_mem, _, _ = _daemonsets(self.network_policy, user_pool=False)
        self.core_free_cpu = alloc.cpu_cores - ds_cpu
        self.core_free_mem = alloc.memory_gib - ds_mem
        work = load("overheads.json")["core_workloads"]
        self.core_cpu = sum(float(p["cpu"]) for p in work["pods"])
        self.core_mem = sum(float(p["memory_mib"]) for p in work["pods"]) / 1024
        self.hub_cpu_per_k = float(work["hub_per_1000_users"]["cpu"])
        self.hub_mem_per_k = float(work["hub_per_1000_users"]["memory_mib"]) / 1024
        self.core_block = pod_block_size(int(planner["core_pool_max_pods_per_node"]))
        self.core_node_month = self.prices.node_month_usd(self.core_machine.name)
        self.core_disk_month = self.core_disk_gib * self.prices.disk_gib_month_usd(
            self.core_disk_type
        )

    # ----------------------------------------------------------------- per user count

    def core_nodes(self, users: int) -> int:
        cpu = self.core_cpu + self.hub_cpu_per_k * users / 1000
        mem = self.core_mem + self.hub_mem_per_k * users / 1000
        if cpu > self.core_free_cpu * 0.999 and self.core_free_cpu <= 0:
            raise CapacityError("node_pools.core.machine_type", "no room after DaemonSets")
        return max(
            1,
            math.ceil(cpu / self.core_free_cpu - 1e-9),
            math.ceil(mem / self.core_free_mem - 1e-9),
        )

    def pool_bounds(self, fit: NodeFit, users: int, primary: bool) -> tuple[int, int, int]:
        """(min_nodes, max_nodes, nodes at peak) of one user pool for `users` at peak."""
        upn = fit.users_per_node
        peak_nodes = math.ceil(users / upn - 1e-9)
        if fit.explicit is not None:
            lo, hi = fit.explicit
            if primary and hi * upn < users:
                raise CapacityError(
                    f"{fit.path}.autoscaling.max_nodes",
                    f"{hi} nodes of {fit.machine.name} hold {hi * upn} users; the peak is "
                    f"{users} concurrent users ({upn} per node)",
                )
            if hi > self.pool_node_limit:
                raise CapacityError(
                    f"{fit.path}.autoscaling.max_nodes",
                    f"{hi} is above GKE's {self.limits['max_nodes_per_pool_per_zone']} nodes "
                    f"per pool per zone x {self.zones} zones = {self.pool_node_limit}",
                )
            return lo, hi, peak_nodes if primary else lo
        hi = math.ceil(users * (1 + self.headroom) / upn - 1e-9)
        lo = max(1, math.ceil(users * self.min_fraction / upn - 1e-9)) if primary else 0
        if hi > self.pool_node_limit:
            raise CapacityError(
                f"{fit.path}",
                f"{users} concurrent users need {hi} nodes of {fit.machine.name}, above GKE's "
                f"{self.limits['max_nodes_per_pool_per_zone']} nodes per pool per zone x "
                f"{self.zones} zones = {self.pool_node_limit}; add a user pool, zones, or a "
                "larger machine type",
            )
        return lo, max(hi, lo), peak_nodes if primary else 0

    def network_capacity(self) -> dict[str, Any]:
        """The largest cluster the configured CIDRs allow (user nodes at the primary's block)."""
        block = pod_block_size(self.primary.max_pods_per_node)
        pods_total = self.network.pods.num_addresses
        by_pods = (pods_total - self.core_max * self.core_block) // block
        by_subnet = self.network.subnet_nodes - self.core_max
        by_cluster = self.cluster_node_limit - self.core_max
        user_nodes = max(0, min(by_pods, by_subnet, by_cluster))
        limiter = min(
            (("pods_cidr", by_pods), ("subnet_cidr", by_subnet), ("cluster_limit", by_cluster)),
            key=lambda kv: kv[1],
        )[0]
        return {
            "max_nodes": user_nodes + self.core_max,
            "max_user_nodes": user_nodes,
            "max_users": int(user_nodes * self.primary.users_per_node / (1 + self.headroom)),
            "limited_by": limiter,
            "pods_per_node_block": block,
            "pods_block_prefix": 32 - int(math.log2(block)),
            "pods_range_addresses": pods_total,
            "nodes_by_pods_range": by_pods + self.core_max,
            "nodes_by_subnet": self.network.subnet_nodes,
            "services": self.network.services.num_addresses,
            "subnet_cidr": str(self.network.subnet),
            "pods_cidr": str(self.network.pods),
            "services_cidr": str(self.network.services),
        }

    def plan(self, users: int | None = None) -> Sizing:
        """Size everything for `users` concurrent users (default: the environment's peak)."""
        peak = self.peak_users if users is None else users
        if isinstance(peak, bool) or not isinstance(peak, int) or not 1 <= peak <= MAX_USERS:
            raise CapacityError(
                "users.peak_concurrent", f"{peak!r} is out of range (1 to {MAX_USERS})"
            )
        # Registered users scale with the peak in the environment's ratio.
        total = (
            self.total_users
            if users is None
            else max(peak, math.ceil(peak * self.total_users / self.peak_users))
        )
        rules = self.rules
        warnings: list[str] = []
        region = self.env.get("gcp", {}).get("region")
        if region and region != self.prices.region:
            warnings.append(
                f"prices are for {self.prices.region}; the environment runs in {region} "
                "(give --prices a table for that region)"
            )

        pools = []
        user_nodes_max = 0
        pods_needed = 0
        cost_nodes = cost_disks = cost_ssd = 0.0
        running_nodes = 0
        for i, fit in enumerate(self.fits):
            lo, hi, at_peak = self.pool_bounds(fit, peak, primary=i == 0)
            user_nodes_max += hi
            pods_needed += hi * pod_block_size(fit.max_pods_per_node)
            running = at_peak if i == 0 else lo
            running_nodes += running
            cost_nodes += running * fit.node_month_usd
            cost_disks += running * fit.disk_month_usd
            cost_ssd += running * fit.local_ssd_month_usd
            pools.append(
                {
                    "name": fit.pool,
                    "machine_type": fit.machine.name,
                    "min_nodes": lo,
                    "max_nodes": hi,
                    "nodes_at_peak": at_peak,
                    "max_pods_per_node": fit.max_pods_per_node,
                    "users_per_node": fit.users_per_node,
                    "binding_constraint": fit.binding,
                    "autoscaling": "explicit" if fit.explicit else "from_capacity",
                    "spot": fit.spot,
                }
            )
            warnings.extend(fit.notes)

        # Pools outside core and user: the environment's extra pools and the dask pool.
        from sciplat.capacity import lab

        ds_cpu, ds_mem, ds_pods, _ = _daemonsets(self.network_policy, user_pool=False)
        extras = lab.extra_pools(self.env, self.prices)
        dask = lab.dask_plan(self.env, self.prices, (ds_cpu, ds_mem, ds_pods))
        if dask is not None:
            extras.append(dask["pool"])
        extra_nodes_max = sum(p.max_nodes for p in extras)
        pods_needed += sum(p.max_nodes * pod_block_size(p.max_pods_per_node) for p in extras)

        core_needed = self.core_nodes(peak)
        core_min = max(self.core_min, core_needed)
        core_max = max(self.core_max, core_needed)
        pods_needed += core_max * self.core_block
        total_nodes = user_nodes_max + core_max + extra_nodes_max
        if total_nodes > self.cluster_node_limit:
            raise CapacityError(
                "node_pools",
                f"{total_nodes} nodes are above GKE's {self.cluster_node_limit} nodes per cluster",
            )
        quota = int(self.limits["quota_nodes_per_cluster"])
        if total_nodes > quota:
            warnings.append(
                f"{total_nodes} nodes at most: above {quota:,} nodes GKE needs a cluster size "
                "quota increase from Google support"
            )
        net = self.network
        if pods_needed > net.pods.num_addresses:
            raise CapacityError(
                "network.pods_cidr",
                f"{total_nodes} nodes need {pods_needed:,} pod addresses (one "
                f"/{32 - int(math.log2(pod_block_size(self.primary.max_pods_per_node)))} block "
                f"per user node); {net.pods} holds {net.pods.num_addresses:,}",
            )
        if total_nodes > net.subnet_nodes:
            raise CapacityError(
                "network.subnet_cidr",
                f"{total_nodes} nodes need {total_nodes} node addresses; {net.subnet} has "
                f"{net.subnet_nodes} usable",
            )

        home_need = total * rules.home_gib
        home = size_filestore(home_need, self.home_tier, self.prices, field="storage.home_tier")
        if home.instances > 1:
            warnings.append(
                f"homes ({home_need:,.0f} GiB) exceed one {home.tier} instance; split over "
                f"{home.instances} instances of {home.capacity_gib:,} GiB"
            )
        if peak > self.hub_limit:
            warnings.append(
                f"{peak} concurrent users is above the {self.hub_limit} one hub is planned for; "
                "shard users over several hubs"
            )

        prices = self.prices
        core_running = core_min
        all_running = running_nodes + core_running
        lines = [
            _line(
                "user nodes",
                running_nodes,
                "node-month",
                self.primary.node_month_usd,
                cost_nodes,
                f"{self.primary.machine.name}{' spot' if self.primary.spot else ''}"
                ", nodes for the peak, all month",
            ),
            _line(
                "core nodes",
                core_running,
                "node-month",
                self.core_node_month,
                core_running * self.core_node_month,
                self.core_machine.name,
            ),
            _line(
                "boot disks",
                running_nodes * self.primary.disk_size_gib + core_running * self.core_disk_gib,
                "GiB-month",
                None,
                cost_disks + core_running * self.core_disk_month,
                f"{self.primary.disk_type} user, {self.core_disk_type} core",
            ),
            _line(
                "local SSD",
                running_nodes * self.primary.local_ssd_count * 375,
                "GiB-month",
                prices.local_ssd_gib_month_usd(),
                cost_ssd,
                "node-local image cache",
            ),
            _line(
                "Filestore homes",
                home.capacity_gib * home.instances,
                "GiB-month",
                prices.filestore_gib_month_usd(home.tier),
                home.monthly_usd,
                f"{home.tier} x{home.instances}",
            ),
            _line(
                "Filestore shared",
                self.shared.capacity_gib,
                "GiB-month",
                prices.filestore_gib_month_usd(self.shared.tier),
                self.shared.monthly_usd,
                self.shared.tier,
            ),
            _line(
                "registry mirror",
                self.registry_gib if self.registry_enabled else 0,
                "GiB-month",
                prices.registry_gib_month_usd(),
                (self.registry_gib if self.registry_enabled else 0)
                * prices.registry_gib_month_usd(),
                "Artifact Registry remote repositories",
            ),
            _line(
                "Cloud NAT",
                all_running,
                "VM",
                None,
                prices.nat_gateway_month_usd(all_running),
                "gateway; data processing extra",
            ),
            _line(
                "GKE cluster fee",
                1,
                "cluster-month",
                prices.cluster_month_usd(),
                prices.cluster_month_usd(),
                "management fee",
            ),
        ]
        for pool in extras:
            lines.append(
                _line(
                    f"{pool.name} pool",
                    pool.node_hours,
                    "node-hour",
                    None,
                    pool.monthly_usd,
                    pool.detail,
                )
            )
        monthly = sum(line["monthly_usd"] for line in lines)
        fit = self.primary
        user_pool = pools[0]
        data: dict[str, Any] = {
            "environment": self.name,
            "users": {
                "peak_concurrent": peak,
                "total": total,
                "headroom_percent": _round(self.headroom * 100, 1),
            },
            "rules": {
                "cpu_guarantee_cores": rules.cpu_guarantee,
                "cpu_limit_cores": rules.cpu_limit,
                "memory_guarantee_gib": rules.memory_guarantee_gib,
                "memory_limit_gib": rules.memory_limit_gib,
                "home_per_user_gib": rules.home_gib,
                "image_size_gib": rules.image_size_gib,
                "max_images": rules.max_images,
                "lab_ephemeral_gib": rules.lab_ephemeral_gib,
            },
            # Each lab runs in its own namespace whose ResourceQuota is the chosen size: at most the
            # largest size's requests and limits, one pod. Users are packed by these requests.
            "user_quota": {
                "requests_cpu_cores": rules.cpu_guarantee,
                "limits_cpu_cores": rules.cpu_limit,
                "requests_memory_gib": rules.memory_guarantee_gib,
                "limits_memory_gib": rules.memory_limit_gib,
                "pods": 1,
            },
            "node": {
                "machine_type": fit.machine.name,
                "cpu_cores": fit.machine.cpu_cores,
                "memory_gib": fit.machine.memory_gib,
                "allocatable": fit.alloc.to_dict(),
                "daemonsets": {
                    "cpu": _round(fit.daemonset_cpu, 3),
                    "memory_gib": _round(fit.daemonset_memory_gib, 3),
                    "pods": fit.daemonset_pods,
                },
                "available": {
                    "cpu": _round(fit.alloc.cpu_cores - fit.daemonset_cpu, 3),
                    "memory_gib": _round(fit.alloc.memory_gib - fit.daemonset_memory_gib, 3),
                    "pods": fit.max_pods_per_node - fit.daemonset_pods,
                },
                "local_ssd_count": fit.local_ssd_count,
                "disk_size_gib": fit.disk_size_gib,
                "image_cache_gib": rules.image_cache_gib,
                "month_usd": _round(fit.month_usd),
            },
            "users_per_node": fit.users_per_node,
            "binding_constraint": fit.binding,
            "constraints": dict(fit.bounds),
            "overcommit": {
                "cpu": _round(fit.overcommit_cpu, 2),
                "memory": _round(fit.overcommit_memory, 2),
            },
            "user_pool": user_pool,
            "user_pools": pools,
            "core_pool": {
                "machine_type": self.core_machine.name,
                "min_nodes": core_min,
                "max_nodes": core_max,
                "nodes_needed": core_needed,
            },
            "storage": {
                "home_gib": _round(home_need, 1),
                "shared_gib": self.shared_gib,
                "registry_cache_gib": self.registry_gib if self.registry_enabled else 0,
                "node_cache_gib": rules.image_cache_gib,
            },
            "filestore": {"home": home.to_dict(), "shared": self.shared.to_dict()},
            "network": {
                **self.network_capacity(),
                "nodes_planned": total_nodes,
                "pod_addresses_planned": pods_needed,
                # The narrowest ranges that would still hold this plan at its maximum.
                "pods_prefix_needed": 32 - math.ceil(math.log2(pods_needed)),
                "subnet_prefix_needed": 32
                - math.ceil(math.log2(total_nodes + int(self.limits["subnet_reserved_addresses"]))),
            },
            "cost": {
                "monthly_usd": _round(monthly),
                "per_user_month_usd": _round(monthly / peak),
                "lines": lines,
                "prices": prices.describe(),
            },
            "extra_pools": [p.to_dict() for p in extras],
            "dask": None
            if dask is None
            else {k: v for k, v in dask.items() if k != "pool"} | {"pool": dask["pool"].name},
            "budget": lab.budget_plan(self.env, monthly),
            "warnings": warnings,
        }
        return Sizing(data, warnings)


def _line(
    item: str,
    quantity: float,
    unit: str,
    unit_usd: float | None,
    monthly: float,
    detail: str,
) -> dict[str, Any]:
    return {
        "item": item,
        "quantity": _round(quantity, 1),
        "unit": unit,
        "unit_usd": None if unit_usd is None else round(unit_usd, 4),
        "monthly_usd": _round(monthly),
        "detail": detail,
    }


def plan_capacity(
    env: dict[str, Any],
    *,
    users: int | None = None,
    machine_type: str | None = None,
    prices_path: Path | None = None,
) -> Sizing:
    """Size `env` (a validated environment dict). `users` overrides users.peak_concurrent;
    `machine_type` replaces the first user pool's; `prices_path` overrides the price table."""
    if users is not None and (
        isinstance(users, bool) or not isinstance(users, int) or not 1 <= users <= MAX_USERS
    ):
        raise CapacityError("--users", f"{users!r} is out of range (1 to {MAX_USERS})")
    planner = Planner(env, machine_type=machine_type, prices_path=prices_path)
    return planner.plan(users)
