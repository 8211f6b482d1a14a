// Devices as osinfo-db names them in an OS's <devices> (the drivers the OS has), for the defaults
// Add Hardware picks by the guest OS (AddDescription.osModels) and for the New VM wizard's VirtIO
// question (../../osinfoMedia.ts). Ids are osinfo-db's: http://pcisig.com/pci/VENDOR/DEVICE, the
// transitional and the modern (virtio 1.0) id of each VirtIO device.

const pci = (...ids: string[]): string[] => ids.map((i) => `http://pcisig.com/pci/${i}`);

export const VIRTIO_BLK = pci('1af4/1001', '1af4/1042');
export const VIRTIO_NET = pci('1af4/1000', '1af4/1041');
export const VIRTIO_GPU = pci('1af4/1050');
export const QXL = pci('1b36/0100');
export const E1000E = pci('8086/10d3');
export const E1000 = pci('8086/100e');
export const RTL8139 = pci('10ec/8139');
/** Intel HD Audio of the ICH9 and ICH6 chipsets, and the AC'97 codec of the 82801AA (sound models ich9, ich6, ac97). */
export const ICH9_HDA = pci('8086/293e');
export const ICH6_HDA = pci('8086/2668');
export const AC97 = pci('8086/2415');
