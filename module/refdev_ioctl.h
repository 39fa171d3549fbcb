/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * refdev - userspace ABI of the misc character device /dev/<core><id>.
 *
 * write() queues one packet (1..REFDEV_MAX_PAYLOAD bytes), read() returns
 * one completed packet (the buffer must hold it, else -EMSGSIZE), and the
 * ioctls below call the same in-kernel functions the KUnit suites call.
 * Every ioctl argument is read with copy_from_user() and validated before
 * anything is allocated; a bad pointer gives -EFAULT, an unknown command
 * -ENOTTY.
 *
 * 'R' 0x40-0x4F is not taken in Documentation/userspace-api/ioctl/
 * ioctl-number.rst.
 */
#ifndef _REFDEV_IOCTL_H
#define _REFDEV_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct refdev_fw_load - argument of REFDEV_IOC_LOAD_FW
 * @ptr: user address of the firmware image (u64_to_user_ptr())
 * @len: its length in bytes, 1..REFDEV_MAX_FW_SIZE
 */
struct refdev_fw_load {
	__u64 ptr;
	__u64 len;
};

/**
 * struct refdev_dev_info - argument of REFDEV_IOC_GET_INFO
 * @nr_sessions: open sessions of the device
 * @nr_channels: configured channels
 * @nr_queued: requests of all sessions not yet completed
 * @nr_completed: completions of all sessions not yet read
 * @fw_size: size of the loaded firmware image, 0 if none
 * @ring_entries: rx ring entries of the calling session
 * @dma_size: DMA buffer bytes of the calling session, 0 if none
 */
struct refdev_dev_info {
	__u32 nr_sessions;
	__u32 nr_channels;
	__u32 nr_queued;
	__u32 nr_completed;
	__u64 fw_size;
	__u64 ring_entries;
	__u64 dma_size;
};

#define REFDEV_IOC_MAGIC	'R'

/* Resize the calling session's rx ring to *arg entries. */
#define REFDEV_IOC_RESIZE_RING	_IOW(REFDEV_IOC_MAGIC, 0x40, __u64)
/* Set the number of device channels to *arg. */
#define REFDEV_IOC_SET_CHANNELS	_IOW(REFDEV_IOC_MAGIC, 0x41, __u32)
/* Load a firmware image. */
#define REFDEV_IOC_LOAD_FW	_IOW(REFDEV_IOC_MAGIC, 0x42, struct refdev_fw_load)
/* Give the calling session a DMA buffer of *arg bytes. */
#define REFDEV_IOC_ALLOC_DMA	_IOW(REFDEV_IOC_MAGIC, 0x43, __u64)
/* Raise the device interrupt; returns the number of requests completed. */
#define REFDEV_IOC_TRIGGER_IRQ	_IO(REFDEV_IOC_MAGIC, 0x44)
/* Read the device and session counters. */
#define REFDEV_IOC_GET_INFO	_IOR(REFDEV_IOC_MAGIC, 0x45, struct refdev_dev_info)

#endif /* _REFDEV_IOCTL_H */
