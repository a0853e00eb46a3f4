"""The ROS 2 layer: the four nodes, the one-process pipeline and what they share."""
