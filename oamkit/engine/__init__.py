"""The change engine: one algorithm (`converge`) for every diff, push and rollback, with a
driver per transport (`CliDriver` over SSH, `NetconfDriver` over NETCONF) behind the
`ConfigDriver` contract. See engine/converge.py for the sequence and engine/driver.py for the
contract."""
from oamkit.engine.converge import (change_folder, converge, diff_host, list_changes,
                                    new_change_id, open_driver, push_host, record_change,
                                    rollback_host, wait_operational, with_host_lock)
from oamkit.engine import unfinished
from oamkit.engine.driver import ConfigDriver, Snapshot
from oamkit.engine.results import (CHANGED, ERROR, FAILED_OUTCOMES, LOCKED, NEEDS_ATTENTION,
                                   NOT_ATTEMPTED, ROLLED_BACK, SKIPPED, UNCHANGED, HostResult,
                                   VerifyFailed, exit_code)

__all__ = ["CHANGED", "ERROR", "FAILED_OUTCOMES", "LOCKED", "NEEDS_ATTENTION", "NOT_ATTEMPTED",
           "ROLLED_BACK", "SKIPPED", "UNCHANGED", "ConfigDriver", "HostResult", "Snapshot", "VerifyFailed",
           "change_folder", "converge", "diff_host", "exit_code", "list_changes",
           "new_change_id", "open_driver", "push_host", "record_change", "rollback_host",
           "unfinished", "wait_operational", "with_host_lock"]
