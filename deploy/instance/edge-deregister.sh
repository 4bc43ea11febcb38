#!/bin/bash
# Removes this instance from the edge target group (REGION, TARGET_GROUP_ARN, INSTANCE_ID from
# /etc/spherecast/edge-deregister.env). Best effort: the ASG deregisters instances it terminates anyway,
# this covers a shutdown the ASG did not start (Spot interruption, manual stop).
set -uo pipefail
: "${REGION:?}" "${TARGET_GROUP_ARN:?}" "${INSTANCE_ID:?}"
aws elbv2 deregister-targets --region "$REGION" --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=$INSTANCE_ID" \
  || echo "edge-deregister: deregister-targets failed; the target group health check will take this edge out" >&2
exit 0
