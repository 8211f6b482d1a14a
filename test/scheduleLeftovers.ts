// Schedules of killed test runs: entries in the test user's crontab whose VM is named
// PREFIX<pid>-… of a process that is gone. Removed through the extension's own code (only their
// two lines go); those of runs going on are left alone.

import { openScheduleHost } from '../src/libvirt/schedules/scheduleAccess';
import { leftoverOfDeadRun } from './leftovers';

export async function removeDeadRunSchedules(uri: string, prefix: string): Promise<void> {
  const opened = await openScheduleHost(uri);
  try {
    const { schedules } = await opened.host.list();
    for (const { schedule } of schedules) {
      if (schedule.target.kind === 'vm' && leftoverOfDeadRun(schedule.target.name, prefix)) await opened.host.remove(schedule.id).catch(() => undefined);
    }
  } finally {
    opened.release();
  }
}
