/* Berth plugin SDK: every stable header. Nothing from berth/draft/ is included. */
#ifndef BERTH_BERTH_H
#define BERTH_BERTH_H

#include "berth/bytes.h"
#include "berth/entry.h"
#include "berth/estimator.h"
#include "berth/host.h"
#include "berth/isolator.h"
#include "berth/launcher.h"
#include "berth/operation.h"
#include "berth/plugin.h"
#include "berth/status.h"
#include "berth/threading.h"
#include "berth/version.h"

#endif /* BERTH_BERTH_H */
