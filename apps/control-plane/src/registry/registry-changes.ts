import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';

/** Registry changes that other modules react to (a gateway's configuration must be resent). */
export interface GatewayDevicesChanged {
  tenantId: string;
  gatewayId: string;
}

@Injectable()
export class RegistryChanges {
  private readonly devicesChanged = new Subject<GatewayDevicesChanged>();

  get devicesChanged$(): Observable<GatewayDevicesChanged> {
    return this.devicesChanged.asObservable();
  }

  gatewayDevicesChanged(change: GatewayDevicesChanged): void {
    this.devicesChanged.next(change);
  }
}
